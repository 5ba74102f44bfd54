import type { Region } from "./config";

/**
 * Where a request goes. Reads of the query API go to the region serving the caller's country (else
 * continent, else the first region) and fail over to the others in table order. Everything that
 * touches orders or customers goes to the customer's home region: the one named by
 * `Bulwark-Home-Region`, else one chosen by a stable hash of the customer id — so keep the order of
 * the region table stable, or move customers when it changes.
 */

export interface Geo {
  country?: string;
  continent?: string;
}

/** The regions to try for a read, nearest first. */
export function readOrder(regions: Region[], geo: Geo): Region[] {
  const country = geo.country?.toUpperCase();
  const continent = geo.continent?.toUpperCase();
  const nearest =
    (country && regions.find((r) => r.countries?.includes(country))) ||
    (continent && regions.find((r) => r.continents?.includes(continent))) ||
    regions[0];
  return [nearest, ...regions.filter((r) => r !== nearest)];
}

/** The customer's home region: the header's when it names a region, else by hash of the customer id. */
export function homeRegion(regions: Region[], header: string | null, customerId: string): Region {
  if (header) {
    const named = regions.find((r) => r.name === header);
    if (named) {
      return named;
    }
  }
  return regions[fnv1a(customerId) % regions.length];
}

/** 32-bit FNV-1a over UTF-8: stable across isolates, runtimes and deployments. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
