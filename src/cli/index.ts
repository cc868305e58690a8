export { ProgressReporter, progressBar } from './progress-reporter.js';
