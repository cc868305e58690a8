export {
  RESULT_COLUMNS,
  pendingResultRow,
  resultRowFromOutcome,
  type PendingState,
  type ResultRow,
} from './result-row.js';
export {
  RESULT_CONTENT_TYPES,
  RESULT_FORMATS,
  isResultFormat,
  resultCsvHeader,
  resultCsvLine,
  resultJsonLine,
  resultLines,
  type ResultFormat,
} from './format-result-row.js';
export { readCampaignResults, type CampaignResultsOptions } from './campaign-results.js';
