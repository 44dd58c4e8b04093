/**
 * The first module of the extension bundle to run: extension.ts imports it before anything else, so
 * these readings are taken before the engine and its dependencies are evaluated. Activation time is
 * reported from here (see extension.ts): wall time, and the process's CPU time, which a busy
 * machine inflates much less.
 */
export const bundleEvaluationStartedAt = performance.now();
export const bundleEvaluationStartCpu = process.cpuUsage();

/** `bundle evaluation …, activate() to views ready …, total …` with wall and CPU milliseconds. */
export function activationTimingLine(activateStartedAt: number, activateStartCpu: NodeJS.CpuUsage, viewsReadyAt: number, viewsReadyCpu: NodeJS.CpuUsage): string {
  const cpuMs = (from: NodeJS.CpuUsage, to: NodeJS.CpuUsage) => ((to.user - from.user + to.system - from.system) / 1000).toFixed(1);
  const wall = (from: number, to: number) => (to - from).toFixed(1);
  return (
    `activation timing: bundle evaluation ${wall(bundleEvaluationStartedAt, activateStartedAt)} ms (cpu ${cpuMs(bundleEvaluationStartCpu, activateStartCpu)} ms), ` +
    `activate() to views ready ${wall(activateStartedAt, viewsReadyAt)} ms (cpu ${cpuMs(activateStartCpu, viewsReadyCpu)} ms), ` +
    `total ${wall(bundleEvaluationStartedAt, viewsReadyAt)} ms (cpu ${cpuMs(bundleEvaluationStartCpu, viewsReadyCpu)} ms)`
  );
}
