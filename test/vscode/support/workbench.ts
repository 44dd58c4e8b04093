import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, FrameLocator, Locator, Page } from 'playwright-core';

/** Playwright helpers for VS Code's workbench in code-server. Selectors are VS Code's own DOM. */
export class Workbench {
  constructor(
    readonly page: Page,
    private readonly screenshotDir: string,
  ) {
    mkdirSync(screenshotDir, { recursive: true });
  }

  async waitUntilLoaded(timeoutMs = 90_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
    await this.page.locator('.part.statusbar').waitFor({ timeout: timeoutMs });
  }

  /** Runs a command by its title from the command palette (F1). */
  async runCommand(title: string): Promise<void> {
    // A hover left open by an earlier pointer move (a tree item's tooltip) would take the click: move away first.
    await this.page.mouse.move(1, 1);
    // A quick input still closing (the previous command) would take the keys inert: let it go first.
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
    // F1 from wherever the focus is: editors, terminals and webviews pass it on to the workbench.
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ timeout: 15_000 });
    // The keyboard picks the focused row without any pointer: nothing floating over the list can intercept it.
    if (((await row.getAttribute('class')) ?? '').split(/\s+/).includes('focused')) await this.page.keyboard.press('Enter');
    else await row.click();
  }

  activityBarItem(label: string): Locator {
    return this.page.locator(`.part.activitybar a.action-label[aria-label^="${label}"]`);
  }

  /** Shows a view container: clicks its activity bar item unless it is already the one shown (a click would hide it). */
  async openViewContainer(label: string): Promise<void> {
    const item = this.page.locator('.part.activitybar li.action-item', { has: this.page.locator(`a.action-label[aria-label^="${label}"]`) });
    await item.waitFor({ timeout: 30_000 });
    if (!((await item.getAttribute('class')) ?? '').split(/\s+/).includes('checked')) await item.click();
  }

  /** A tree row whose accessible label starts with `prefix` (the Experiments view labels rows `#n title, metric`). */
  treeRow(prefix: string): Locator {
    return this.page.locator(`.monaco-list-row[role="treeitem"][aria-label^="${prefix}"]`);
  }

  /** The tab of the integrated terminal whose name contains `name`. */
  terminalTab(name: string): Locator {
    return this.page.locator('.terminal-tabs-entry', { hasText: name });
  }

  /** The visible text of the active terminal (DOM renderer). */
  async activeTerminalText(): Promise<string> {
    return this.page.locator('.terminal-wrapper.active .xterm-rows').innerText();
  }

  /** The dashboard webview's document: VS Code nests it in two iframes (a panel's: no `purpose=webviewView`). */
  dashboard(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready:not([src*="purpose=webviewView"])').frameLocator('iframe#active-frame');
  }

  /** The webview document (of any panel or view) that holds `selector`; found again after each re-render. */
  async webviewWith(selector: string, timeoutMs = 30_000): Promise<Frame> {
    return eventually(`a webview with ${selector}`, async () => {
      for (const f of this.page.frames()) if (!f.isDetached() && (await f.locator(selector).count().catch(() => 0)) > 0) return f;
      return null;
    }, timeoutMs);
  }

  /** The gate view's document (the one webview view of the extension). */
  gateView(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready[src*="purpose=webviewView"]').frameLocator('iframe#active-frame');
  }

  /** The extension's own status bar item (its id ends with the item id the extension gives it). */
  runStatusItem(): Locator {
    return this.page.locator('.part.statusbar .statusbar-item[id$="bilevelAutoresearch.run"]');
  }

  /** A notification toast whose message contains `text`. */
  notification(text: string): Locator {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: text });
  }

  /** A button of that notification. */
  notificationButton(text: string, label: string): Locator {
    return this.notification(text).locator('.monaco-button', { hasText: label });
  }

  /** A command link in that notification's message (a self-closing notice has links, not buttons). */
  notificationLink(text: string, label: string): Locator {
    return this.notification(text).locator('.notification-list-item-message a', { hasText: label });
  }

  /** The count on a view container's activity bar item (what waits for the person). */
  activityBadge(label: string): Locator {
    return this.page.locator('.part.activitybar li.action-item', { has: this.page.locator(`a.action-label[aria-label^="${label}"]`) }).locator('.badge-content');
  }

  /** An action in the active editor group's title bar, by its label (the keybinding may follow it). */
  editorAction(label: string): Locator {
    return this.page.locator(`.editor-group-container.active .editor-actions a.action-label[aria-label^="${label}"]`);
  }

  /** Moves the cursor to a line of the active editor (Go to Line). */
  async goToLine(line: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden', timeout: 15_000 });
  }

  statusBarItem(text: string): Locator {
    return this.page.locator('.part.statusbar .statusbar-item', { hasText: text });
  }

  /** Drags the sash on the right edge of the side bar, so that longer rows fit (screenshots). */
  async widenSideBar(byPx: number): Promise<void> {
    const box = await this.page.locator('.part.sidebar').boundingBox();
    if (box) await this.drag(box.x + box.width + 2, box.y + box.height / 2, byPx);
  }

  /** Drags the sash between the terminal and its tabs list, so that the terminal names show in full. */
  async widenTerminalTabs(byPx: number): Promise<void> {
    const box = await this.page.locator('.integrated-terminal .tabs-container').first().boundingBox();
    if (box) await this.drag(box.x - 2, box.y + box.height / 2, -byPx);
  }

  private async drag(x: number, y: number, dx: number): Promise<void> {
    const { mouse } = this.page;
    await mouse.move(x, y);
    await mouse.down();
    await mouse.move(x + dx / 2, y, { steps: 4 });
    await mouse.move(x + dx, y, { steps: 4 });
    await mouse.up();
  }

  async screenshot(name: string): Promise<string> {
    const path = join(this.screenshotDir, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}

/** Polls `probe` (sync or async) until it returns something truthy. */
export async function eventually<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
