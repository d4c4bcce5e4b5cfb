import { LedgerError } from '../core/errors.js';
import type { NodeId } from '../protocol/ids.js';
import type { AdminErrorCode } from '../protocol/admin.js';

/** A node answered an admin request with a refusal: `refusal` is its code on the wire. */
export class AdminRefused extends LedgerError {
  override name = 'AdminRefused';

  constructor(
    readonly node: NodeId,
    readonly refusal: AdminErrorCode,
    message: string,
  ) {
    super('unavailable', `node ${node}: ${message}`);
  }
}
