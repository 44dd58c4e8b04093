// The dashboard bundle's entry: registers the VS Code-looking components it uses, starts the app,
// and tells the extension it is ready for the `init` message.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { DashboardApp } from './app';
import { createChannel } from './messaging';

declare global {
  interface Window {
    /** Debug/test handle: the running dashboard. */
    bilevelDashboard?: DashboardApp;
  }
}

const channel = createChannel();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const app = new DashboardApp(root, channel);
window.bilevelDashboard = app;
channel.onMessage((m) => app.handle(m));
window.addEventListener('error', (e) => channel.post({ type: 'error', message: `${e.message} (${e.filename}:${e.lineno})` }));
channel.post({ type: 'ready' });
