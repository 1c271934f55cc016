// Record / Stop / Save as lab…: the commands typed in terminals become a new lab (labs/recorded-<id>).
import type { ApiClient } from './api-client.js';
import { h } from './dom.js';

export function recordControls(d: {
  api: ApiClient;
  labId: string;
  onError: (m: string) => void;
  onSaved: () => Promise<void>;
}): HTMLElement {
  const record = h(
    'button',
    { class: 'small', id: 'guide-record', title: 'Record the commands typed in terminals' },
    'Record',
  );
  const stop = h('button', { class: 'small', id: 'guide-record-stop' }, 'Stop');
  const title = h('input', {
    class: 'small',
    id: 'guide-record-title',
    placeholder: 'title',
    'aria-label': 'recorded lab title',
  });
  const id = h('input', {
    class: 'small',
    id: 'guide-record-id',
    placeholder: 'id (a-z0-9-)',
    'aria-label': 'recorded lab id',
  });
  const save = h(
    'button',
    { class: 'small', id: 'guide-record-save', title: 'Write labs/recorded-<id>/' },
    'Save as lab…',
  );
  const state = h('span', { class: 'muted small', role: 'status' });
  const show = (r: { recording: boolean; commands: unknown[] }): void => {
    state.textContent = `${r.recording ? 'recording' : 'stopped'}: ${r.commands.length} commands`;
  };
  const fail = (err: unknown): void => d.onError(String(err));
  record.addEventListener('click', () => void d.api.call('guide.record.start', { id: d.labId }).then(show, fail));
  stop.addEventListener('click', () => void d.api.call('guide.record.stop', {}).then(show, fail));
  save.addEventListener('click', () => {
    d.api.call('guide.record.save', { id: id.value.trim(), title: title.value.trim() }).then(async (r) => {
      state.textContent = `saved as ${r.id}`;
      await d.onSaved();
    }, fail);
  });
  return h(
    'details',
    { class: 'guide-record' },
    h('summary', {}, 'Record your own lab'),
    h('div', { class: 'guide-actions' }, record, stop, title, id, save, state),
  );
}
