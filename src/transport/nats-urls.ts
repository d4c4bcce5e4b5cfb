import { LedgerError } from '../core/errors.js';

/** The most servers one natsUrl may list: a NATS cluster has 3 or 5; more is a mistake. */
const serversMax = 16;

/**
 * The servers of a `natsUrl` setting: one URL (`nats://127.0.0.1:4222`), or several separated
 * by commas for a NATS cluster (`nats://10.0.0.1:4222,nats://10.0.0.2:4222`). The first is the
 * home server (on a host, its own nats-server); the rest are where to go when it dies, in order.
 * Each must be nats:// or tls:// with a host (the port defaults to 4222) and nothing else: no
 * path, and no user (credentials belong in their own settings, not in a URL that logs print).
 */
export function natsServerUrls(text: string): string[] {
  if (typeof text !== 'string' || text.trim().length === 0)
    throw new LedgerError('config', 'natsUrl is missing', { hint: 'e.g. "nats://127.0.0.1:4222"' });
  const urls = text.split(',').map((u) => u.trim());
  if (urls.length > serversMax)
    throw new LedgerError('config', `natsUrl lists ${urls.length} servers; at most ${serversMax}`);
  for (const url of urls) {
    const problem = natsUrlProblem(url);
    if (problem !== undefined)
      throw new LedgerError('config', `natsUrl: ${JSON.stringify(url)} ${problem}`, {
        hint: 'one or more comma-separated URLs such as nats://10.0.0.1:4222,nats://10.0.0.2:4222',
      });
  }
  if (new Set(urls).size !== urls.length) throw new LedgerError('config', `natsUrl lists a server twice: ${text}`);
  return urls;
}

function natsUrlProblem(url: string): string | undefined {
  if (url === '') return 'is empty (a comma too many?)';
  if (!/^(nats|tls):\/\//.test(url)) return 'must start with nats:// or tls://';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.hostname === '') return 'has no host';
  if (parsed.username !== '' || parsed.password !== '') return 'holds credentials: give them in their own settings';
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '')
    return 'has a path or a query: a NATS URL is scheme://host:port';
  return undefined;
}
