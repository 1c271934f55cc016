// One modal question with a safe default: a native <dialog> (focus moves into it and stays there;
// Escape cancels), the confirming button named for what it does.
import { h } from './dom.js';

export function makeConfirm(host: HTMLElement): (title: string, text: string, ok: string) => Promise<boolean> {
  const heading = h('h2', { id: 'confirm-title' });
  const body = h('p', { id: 'confirm-text' });
  const cancel = h('button', { id: 'confirm-cancel', value: 'cancel' }, 'Cancel');
  const okButton = h('button', { id: 'confirm-ok', class: 'primary', value: 'ok' }, 'OK');
  const dialog = h(
    'dialog',
    { id: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
    heading,
    body,
    h('div', { class: 'dialog-buttons' }, cancel, okButton),
  );
  host.append(dialog);
  return (title, text, ok) =>
    new Promise<boolean>((resolve) => {
      heading.textContent = title;
      body.textContent = text;
      okButton.textContent = ok;
      const done = (v: boolean): void => {
        cancel.onclick = okButton.onclick = dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(v);
      };
      cancel.onclick = () => done(false);
      okButton.onclick = () => done(true);
      dialog.onclose = () => done(false);
      dialog.showModal();
      cancel.focus();
    });
}
