import { LedgerClient } from '../client/ledger-client.js';
import { requireRunningConfig } from '../cluster/local-cluster.js';
import type { LedgerConfig } from '../node/config.js';
import { asAdmin, connectAs } from '../node/nats-access.js';

/** Connects a client to the cluster of `dataDir` for the length of `use`. */
export async function withClient<R>(
  dataDir: string,
  use: (client: LedgerClient, config: LedgerConfig) => Promise<R>,
): Promise<R> {
  const config = requireRunningConfig(dataDir);
  const transport = await connectAs(config, asAdmin, { name: 'ledger-cli', longRunning: false });
  try {
    return await use(new LedgerClient(transport, config.topology, config.prefix, config.client), config);
  } finally {
    await transport.close();
  }
}
