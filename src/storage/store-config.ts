import type { Kysely } from 'kysely';
import { LedgerError } from '../core/errors.js';
import type { StoreTables } from './schema.js';

export interface AccountRange {
  firstAccount: number;
  lastAccount: number;
  initialBalance: number;
}

/** Rows per INSERT when creating accounts: 2 bound values a row stays far below SQLite's
 *  limit of 32766 variables a statement. */
const accountsPerInsertMax = 1_000;

/**
 * First open: creates every account at its initial balance and the Paxos meta row, in one
 * transaction, so a crash half-way leaves an empty file that the next open initialises again.
 * Later opens: the file must have been made for the same accounts and initial balance; mixing
 * would silently corrupt balances (and a flush resets every account to the initial balance).
 */
export async function initialiseOrCheck(db: Kysely<StoreTables>, file: string, range: AccountRange): Promise<void> {
  validateRange(range);
  const stored = await db.selectFrom('store_config').selectAll().executeTakeFirst();
  if (stored !== undefined) {
    const same =
      stored.first_account === range.firstAccount &&
      stored.last_account === range.lastAccount &&
      stored.initial_balance === range.initialBalance;
    if (!same) {
      throw new LedgerError(
        'config',
        `${file} holds accounts ${stored.first_account}..${stored.last_account} at initial balance ${stored.initial_balance}, ` +
          `but this node is configured for ${range.firstAccount}..${range.lastAccount} at ${range.initialBalance}`,
        {
          hint: 'use the topology the data directory was created with, or flush/remove the data directory to start over',
        },
      );
    }
    return;
  }
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('store_config')
      .values({
        id: 1,
        first_account: range.firstAccount,
        last_account: range.lastAccount,
        initial_balance: range.initialBalance,
      })
      .execute();
    await trx
      .insertInto('paxos_meta')
      .values({ id: 1, promised_round: 0, promised_node: 0, applied_index: 0, log_floor: 0, generation: 0 })
      .execute();
    for (let start = range.firstAccount; start <= range.lastAccount; start += accountsPerInsertMax) {
      const end = Math.min(start + accountsPerInsertMax - 1, range.lastAccount);
      const rows = [];
      for (let account = start; account <= end; account++) rows.push({ account, balance: range.initialBalance });
      await trx.insertInto('accounts').values(rows).execute();
    }
  });
}

function validateRange(range: AccountRange): void {
  const { firstAccount, lastAccount, initialBalance } = range;
  if (!Number.isSafeInteger(firstAccount) || !Number.isSafeInteger(lastAccount) || firstAccount > lastAccount) {
    throw new LedgerError('config', `account range ${firstAccount}..${lastAccount} is not a range of integers`, {
      hint: 'the first account must be an integer no greater than the last',
    });
  }
  if (!Number.isSafeInteger(initialBalance) || initialBalance < 0) {
    throw new LedgerError('config', `initial balance ${initialBalance} is not a non-negative integer`);
  }
}
