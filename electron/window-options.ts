// The desktop window's security settings in one pure function, so a unit test pins every value:
// the renderer is sandboxed with context isolation, never gets Node, and loads no remote content.

export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  sandbox: true;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  navigateOnDragDrop: false;
  safeDialogs: true;
  spellcheck: false;
  devTools: boolean;
}

export interface WindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  title: string;
  backgroundColor: string;
  show: boolean;
  autoHideMenuBar: boolean;
  webPreferences: SecureWebPreferences;
}

export function windowOptions(o: { preloadPath: string; devTools: boolean }): WindowOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'kubewire',
    backgroundColor: '#1b1d23',
    // Shown on ready-to-show, so the user never sees a blank white frame.
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: o.preloadPath,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: o.devTools,
    },
  };
}
