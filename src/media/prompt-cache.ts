import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { encodeG711 } from './g711.js';
import { PromptError } from './prompt-error.js';
import type { G711Codec } from './sdp.js';
import { wavToPcm8k } from './wav-to-pcm8k.js';

export interface PromptCacheOptions {
  /** Directory prompt names are resolved in; a name may not leave it. */
  readonly directory: string;
  /** Longest prompt accepted, ms of audio. Default 10 minutes. */
  readonly maxDurationMs?: number;
}

/** A prompt converted once: 8 kHz linear, and G.711 in each codec as asked for. */
export interface Prompt {
  readonly name: string;
  readonly durationMs: number;
  /** G.711 bytes in `codec`, encoded on first use and kept. */
  encoded(codec: G711Codec): Uint8Array;
}

/**
 * Prompts of one worker process, each read and converted once. A name is a path relative to the
 * directory (`welcome.wav`, `es/menu.wav`); absolute paths and `..` out of it are refused, since
 * names come from jobs. Failed loads are not cached, so a file put in place later is found.
 */
export class PromptCache {
  readonly directory: string;
  readonly #maxDurationMs: number;
  readonly #prompts = new Map<string, Promise<Prompt>>();

  constructor(options: PromptCacheOptions) {
    this.directory = resolve(options.directory);
    this.#maxDurationMs = options.maxDurationMs ?? 600_000;
  }

  get size(): number {
    return this.#prompts.size;
  }

  /** Rejects with `PromptError` (code `MEDIA_PROMPT`) naming the prompt. */
  load(name: string): Promise<Prompt> {
    let prompt = this.#prompts.get(name);
    if (prompt === undefined) {
      prompt = this.#read(name);
      this.#prompts.set(name, prompt);
      prompt.catch(() => this.#prompts.delete(name));
    }
    return prompt;
  }

  async #read(name: string): Promise<Prompt> {
    const path = this.#pathOf(name);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new PromptError(
        `prompt ${JSON.stringify(name)} cannot be read from ${this.directory}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { cause: error },
      );
    }
    const pcm = wavToPcm8k(bytes, name);
    const durationMs = pcm.length / 8;
    if (durationMs > this.#maxDurationMs) {
      throw new PromptError(
        `prompt ${JSON.stringify(name)} lasts ${Math.round(durationMs)} ms, above the ${this.#maxDurationMs} ms limit`,
      );
    }
    if (pcm.length === 0) throw new PromptError(`prompt ${JSON.stringify(name)} holds no audio`);
    const byCodec = new Map<G711Codec, Uint8Array>();
    return {
      name,
      durationMs,
      encoded(codec) {
        let bytes = byCodec.get(codec);
        if (bytes === undefined) {
          bytes = encodeG711(pcm, codec);
          byCodec.set(codec, bytes);
        }
        return bytes;
      },
    };
  }

  #pathOf(name: string): string {
    if (typeof name !== 'string' || name === '' || name.includes('\0') || isAbsolute(name)) {
      throw new PromptError(
        `prompt name must be a relative path in the prompts directory, got ${JSON.stringify(name)}`,
      );
    }
    const path = resolve(this.directory, name);
    const inside = relative(this.directory, path);
    if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
      throw new PromptError(`prompt name ${JSON.stringify(name)} leaves the prompts directory`);
    }
    return path;
  }
}
