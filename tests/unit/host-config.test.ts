import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderNatsServerConfig } from '../../src/cluster/nats-cluster.js';
import { LedgerError } from '../../src/core/errors.js';
import { clusterOfNode, defaultTopology, nodeCount } from '../../src/ledger/topology.js';
import { defaultTiming, readConfig, requireNodeOfHost } from '../../src/node/config.js';

/** Issue 16, item 3: a host's config file for `ledger node start --id N --config FILE`. */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ledger-host-config-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function configFile(config: unknown): string {
  const file = join(dir, `c${files++}.json`);
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}

const host = {
  natsUrl: 'nats://10.0.0.1:4222,nats://10.0.0.2:4222',
  dataDir: 'data',
  topology: defaultTopology,
  hostNodes: [1, 4, 7],
};

const configError = (pattern: RegExp) => (e: unknown) =>
  e instanceof LedgerError && e.code === 'config' && pattern.test(e.message);

describe('a host config', () => {
  test('needs only natsUrl, dataDir and topology; the rest take their defaults; dataDir is relative to the file', () => {
    const file = configFile(host);
    const c = readConfig(file);
    assert.equal(c.dataDir, join(dir, 'data'));
    assert.equal(c.natsUrl, host.natsUrl);
    assert.deepEqual(c.hostNodes, [1, 4, 7]);
    assert.equal(c.prefix, 'ledger');
    assert.deepEqual(c.timing, defaultTiming);
    assert.equal(c.durability, 'full');
    assert.equal(readConfig(configFile({ ...host, dataDir: '/var/lib/ledger' })).dataDir, '/var/lib/ledger');
  });

  test("natsSecurity's files are relative to the config file too, and its named client users are kept", () => {
    const c = readConfig(
      configFile({
        ...host,
        natsSecurity: {
          credentialsDir: 'creds',
          tls: { caFile: 'tls/ca.pem', certFile: '/etc/ledger/cert.pem', keyFile: 'tls/key.pem' },
          clientUsers: ['teller-1'],
        },
      }),
    );
    assert.deepEqual(c.natsSecurity, {
      credentialsDir: join(dir, 'creds'),
      tls: { caFile: join(dir, 'tls/ca.pem'), certFile: '/etc/ledger/cert.pem', keyFile: join(dir, 'tls/key.pem') },
      clientUsers: ['teller-1'],
    });
  });

  test('refuses what is wrong, naming the file and the setting', () => {
    const { topology: _, ...noTopology } = host;
    const cases: Array<[unknown, RegExp]> = [
      [{ ...host, natsUrls: host.natsUrl }, /: unknown setting "natsUrls"$/],
      [
        { ...host, natsUrl: 'nats://a:1,https://b:2' },
        /: natsUrl: "https:\/\/b:2" must start with nats:\/\/ or tls:\/\/$/,
      ],
      [{ ...host, natsUrl: '' }, /: natsUrl is missing$/],
      [{ ...host, dataDir: '' }, /: dataDir is missing$/],
      [noTopology, /: topology is missing$/],
      [{ ...host, topology: { ...defaultTopology, nodesPerCluster: 2 } }, /: nodes per cluster must be odd/],
      [{ ...host, hostNodes: [1, 1] }, /: hostNodes must list distinct node ids from 1 to 9, got \[1,1\]$/],
      [{ ...host, hostNodes: [10] }, /: hostNodes must list distinct node ids from 1 to 9/],
      [{ ...host, hostNodes: [] }, /: hostNodes must list distinct node ids/],
      [{ ...host, hostNodes: '1,4,7' }, /: hostNodes must list distinct node ids/],
      [{ ...host, timing: null }, /: timing values must be positive integers$/],
      [{ ...host, natsSecurity: { clientUsers: ['Teller'] } }, /: natsSecurity.clientUsers must be distinct names/],
      [{ ...host, natsSecurity: { clientUsers: ['a', 'a'] } }, /: natsSecurity.clientUsers must be distinct names/],
      [[host], /must hold a JSON object$/],
      ['{"natsUrl": ', /is not valid JSON/],
    ];
    for (const [config, message] of cases) {
      const file = configFile(config);
      assert.throws(
        () => readConfig(file),
        (e: unknown) => configError(message)(e) && (e as Error).message.startsWith(file),
        JSON.stringify(config),
      );
    }
  });

  test('a node the host does not run is refused; any node when the config names no host nodes', () => {
    const c = readConfig(configFile(host));
    for (const id of [1, 4, 7]) requireNodeOfHost(c, id);
    assert.throws(
      () => requireNodeOfHost(c, 2),
      configError(/^node 2 does not run on this host \(hostNodes: 1, 4, 7\)$/),
    );
    const { hostNodes: _, ...anyNode } = host;
    requireNodeOfHost(readConfig(configFile(anyNode)), 2);
  });
});

describe('infra/hosts: 9 nodes on 3 hosts', () => {
  const names = ['a', 'b', 'c'];
  const configs = names.map((h) => readConfig(join(root, 'infra', 'hosts', `host-${h}`, 'config.json')));

  test('every host config is valid, the nodes are split between the hosts, one replica of each cluster per host', () => {
    const nodes = configs.flatMap((c) => c.hostNodes ?? []);
    assert.deepEqual(
      [...nodes].sort((a, b) => a - b),
      Array.from({ length: 9 }, (_, i) => i + 1),
    );
    for (const c of configs) {
      assert.deepEqual(c.topology, configs[0]?.topology, 'one topology everywhere');
      assert.equal(nodeCount(c.topology), 9);
      const clusters = (c.hostNodes ?? []).map((n) => clusterOfNode(c.topology, n)).sort();
      assert.deepEqual(clusters, [1, 2, 3], 'a host loss loses one replica of each cluster, no quorum');
    }
  });

  test("each host lists its own server first, then the others; each nats-server.conf is the template's rendering", () => {
    const homes = configs.map((c) => c.natsUrl.split(',')[0]);
    assert.equal(new Set(homes).size, 3);
    for (const c of configs)
      assert.deepEqual([...c.natsUrl.split(',')].sort(), [...(configs[0]?.natsUrl.split(',') ?? [])].sort());
    const hostOf = (url: string) => new URL(url).hostname;
    names.forEach((h, i) => {
      const self = hostOf(homes[i] as string);
      const others = homes.filter((_, j) => j !== i).map((u) => `nats-route://${hostOf(u as string)}:6222`);
      const rendered = renderNatsServerConfig({
        name: `ledger-${h}`,
        listenHost: '0.0.0.0',
        clientPort: 4222,
        routePort: 6222,
        monitorPort: 8222,
        routes: others,
      });
      assert.equal(
        readFileSync(join(root, 'infra', 'hosts', `host-${h}`, 'nats-server.conf'), 'utf8'),
        rendered,
        `host ${h} (${self})`,
      );
    });
  });
});
