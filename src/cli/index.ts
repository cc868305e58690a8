export { ProgressReporter, progressBar } from './progress-reporter.js';
export { buildProgram, EXIT, runCli } from './run-cli.js';
export { startWorkerProcess, type WorkerProcess } from './start-worker-process.js';
