export { runDemo, type DemoIo } from './run-demo.js';
export { formatSummary, summarizeOutcomes, type DemoSummary } from './demo-summary.js';
export { DEMO_COUNTRIES, sampleNumbers } from './sample-numbers.js';
export { DemoSetupError } from './demo-setup-error.js';
export {
  hasCommand,
  realToolSystem,
  REDIS_SERVER,
  requireTools,
  SIPP,
  type Tool,
  type ToolSystem,
} from './require-tools.js';
