import { Args, Flags } from '@oclif/core';
import { parseNode } from './parse.js';

/** A node id given as an argument or a flag: `4` and `n4` alike (see parseNodeId). */
export const nodeArg = { node: Args.string({ description: 'node id, e.g. 4 or n4', required: true }) };

export const nodeFlag = Flags.custom<number>({ parse: async (text) => parseNode(text) });
