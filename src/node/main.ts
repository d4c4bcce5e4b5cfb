import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LedgerError } from '../core/errors.js';
import { parseNodeId } from '../core/node-id-text.js';
import { nodeCount } from '../ledger/topology.js';
import { fileLogger } from '../observability/logger.js';
import { metricsPortOf, readConfig, requireNodeOfHost, type LedgerConfig } from './config.js';
import { LedgerNode } from './ledger-node.js';
import { exitNow, onStopSignal } from '../process/exit.js';

/** An uncaught exception ended the node (EX_SOFTWARE, an internal error). */
const exitCodeCrashed = 70;

/**
 * Runs one node in this process until SIGTERM or SIGINT. Used by `ledger node start` and by
 * `ledger cluster start`, which spawns this file directly (no CLI start-up cost per node).
 */
export async function runNode(
  config: LedgerConfig,
  id: number,
  metrics: { port?: number; host?: string } = {},
): Promise<LedgerNode> {
  if (!Number.isSafeInteger(id) || id < 1 || id > nodeCount(config.topology)) {
    throw new LedgerError('bad-input', `node id must be 1..${nodeCount(config.topology)}, got ${id}`);
  }
  requireNodeOfHost(config, id);
  const log = fileLogger(join(config.dataDir, 'logs', `n${id}.log`), `n${id}`);
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception: crashing');
    log.flush();
    exitNow(exitCodeCrashed);
  });
  const node = await LedgerNode.start(config, id, log, {
    metricsPort: metricsPortOf(config, id, metrics.port),
    metricsHost: metrics.host,
  });
  // Stopping on a signal is the node's normal end: exit 0.
  onStopSignal((signal) => {
    log.info({ signal }, 'shutting down');
    void node.stop().finally(() => {
      log.flush();
      exitNow(0);
    });
  });
  return node;
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  const { values } = parseArgs({
    options: {
      id: { type: 'string' },
      config: { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
    },
  });
  try {
    if (values.id === undefined || values.config === undefined)
      throw new LedgerError('bad-input', 'usage: main.js --id N --config FILE');
    const port = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
    if (port !== undefined && !(Number.isSafeInteger(port) && port >= 0 && port <= 65535))
      throw new LedgerError('bad-input', `--metrics-port must be 0..65535, got ${values['metrics-port']}`);
    const id = parseNodeId(values.id);
    if (id === undefined)
      throw new LedgerError('bad-input', `--id must be a node id such as 4 or n4, got ${values.id}`);
    await runNode(readConfig(values.config), id, {
      ...(port === undefined ? {} : { port }),
      ...(values['metrics-host'] === undefined ? {} : { host: values['metrics-host'] }),
    });
  } catch (error) {
    console.error(`node ${values.id ?? '?'}: ${(error as Error).message}`);
    exitNow(1);
  }
}
