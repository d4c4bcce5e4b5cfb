import { Flags } from '@oclif/core';
import { badInput } from '../core/errors.js';

/** A duration in seconds that may be fractional (`--interval 0.5`), checked to be positive. */
export const secondsFlag = Flags.custom<number>({
  parse: async (text) => {
    const value = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
      throw badInput(`"${text}" is not a number of seconds greater than zero`);
    return value;
  },
});
