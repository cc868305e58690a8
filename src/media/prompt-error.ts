import { DialerError } from '../kernel/index.js';

/**
 * A prompt that cannot be played: a name outside the prompts directory, a missing file, or a
 * file that is not a WAV we can convert. The message names the prompt. Stable code: `MEDIA_PROMPT`.
 */
export class PromptError extends DialerError {
  readonly code = 'MEDIA_PROMPT';
}
