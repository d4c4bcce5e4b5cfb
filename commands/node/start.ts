import { Flags } from '@oclif/core';
import { join } from 'node:path';
import { LedgerCommand } from '../../src/cli/base-command.js';
import { nodeFlag } from '../../src/cli/node-flag.js';
import { readConfig, withTlsFlags } from '../../src/node/config.js';
import { runNode } from '../../src/node/main.js';

export default class NodeStart extends LedgerCommand<typeof NodeStart> {
  static override summary = 'Run one node in the foreground (multi-host deployments)';
  static override description = `Runs node --id with the configuration file (default: config.json in the data dir), until SIGTERM or Ctrl-C. Its SQLite file is nodes/n<ID>.sqlite and its log logs/n<ID>.log under the config's data dir.`;
  static override examples = [
    '<%= config.bin %> node start --id 4',
    '<%= config.bin %> node start --id 4 --config /etc/ledger/config.json',
  ];
  static override flags = {
    id: nodeFlag({ description: 'node id, e.g. 4 or n4', required: true }),
    config: Flags.string({ description: 'configuration file [default: <data-dir>/config.json]' }),
    'metrics-port': Flags.integer({
      description:
        "serve Prometheus metrics on GET /metrics at this port (0: none) [default: the config's metricsPortBase + ID, or none]",
      min: 0,
      max: 65535,
    }),
    'metrics-host': Flags.string({ description: 'address the metrics endpoint binds to', default: '127.0.0.1' }),
    'tls-ca': Flags.string({ description: "CA (PEM) that signed nats-server's certificate [default: the config's]" }),
    'tls-cert': Flags.string({ description: "this node's client certificate (PEM) [default: the config's]" }),
    'tls-key': Flags.string({ description: "this node's private key (PEM) [default: the config's]" }),
  };

  async run(): Promise<{ node: number }> {
    const config = withTlsFlags(readConfig(this.flags.config ?? join(this.dataDir, 'config.json')), {
      caFile: this.flags['tls-ca'],
      certFile: this.flags['tls-cert'],
      keyFile: this.flags['tls-key'],
    });
    const node = await runNode(config, this.flags.id, {
      ...(this.flags['metrics-port'] === undefined ? {} : { port: this.flags['metrics-port'] }),
      host: this.flags['metrics-host'],
    });
    this.log(`node ${node.id} (cluster ${node.cluster}) running; logs in ${join(config.dataDir, 'logs')}`);
    await new Promise(() => undefined);
    return { node: node.id };
  }
}
