import type { BigIntStats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { type Validators, validatorsFor } from './conditional.js';
import {
  acceptedCodings,
  type Compression,
  type ContentCoding,
  isCompressibleType,
  SIBLING_SUFFIX,
} from './content-coding.js';
import type { FileSource } from './hot-replies.js';
import { hasDotComponent, isInside } from './safe-path.js';
import type { StaticConfig } from './static-options.js';

/** A file found on disk: its real path and stats. */
export interface FoundFile {
  real: string;
  stats: BigIntStats;
}

/**
 * The representation of a file chosen for one request (RFC 9110 §3.2): which bytes, in which content coding,
 * named by which validators.
 */
export interface Representation {
  readonly coding: ContentCoding;
  /** The real path of the file whose bytes are sent (or compressed): the file, or its precompressed sibling. */
  readonly path: string;
  /** The stats of the file at `path`. */
  readonly stats: BigIntStats;
  /** True when the bytes are compressed now from `path`; such a representation is never ranged. */
  readonly onTheFly: boolean;
  /** The representation's own validators: its ETag ends in `-br` / `-gzip` for a compressed one. */
  readonly validators: Validators;
  /** True when the resource has several representations, so replies carry `Vary: Accept-Encoding`. */
  readonly vary: boolean;
  /** The files looked at to choose it: the original, then each precompressed sibling tried, in order. */
  readonly sources: readonly FileSource[];
}

/** What the choice of representation reads from the request and the file. */
export interface RepresentationQuery {
  /** The file as found (the identity representation). */
  found: FoundFile;
  /** The path the file was asked as (below root, before realpath); its siblings are looked up beside it. */
  diskPath: string;
  contentType: string;
  /** The Accept-Encoding field value, if any. */
  acceptEncoding: string | undefined;
  /** True for a GET with a Range field: on-the-fly compression is then skipped, so the range applies. */
  rangeRequested: boolean;
}

/**
 * Chooses the representation to send. Only compressible types have other representations than identity.
 * For those, first a precompressed sibling (`name.br`, `name.gz`) of an accepted coding, best accepted coding
 * first; then on-the-fly compression with the best accepted coding when the file has at least
 * compressMinSize bytes and no range was asked for; else identity.
 */
export async function selectRepresentation(
  config: StaticConfig,
  query: RepresentationQuery,
): Promise<Representation> {
  const { found } = query;
  const vary = (config.compress || config.precompressed) && isCompressibleType(query.contentType);
  const sources: FileSource[] = [{ path: query.diskPath, stats: found.stats }];
  const identity: Representation = {
    coding: 'identity',
    path: found.real,
    stats: found.stats,
    onTheFly: false,
    validators: validatorsFor(found.stats.size, found.stats.mtimeNs),
    vary,
    sources,
  };
  if (!vary) return identity;
  const accepted = acceptedCodings(query.acceptEncoding).filter(
    (coding): coding is Compression => coding !== 'identity',
  );
  if (config.precompressed) {
    for (const coding of accepted) {
      const path = query.diskPath + SIBLING_SUFFIX[coding];
      const { sibling, seen } = await findSibling(config, path, found.stats);
      sources.push({ path, stats: seen });
      if (sibling === null) continue;
      const validators = validatorsFor(sibling.stats.size, sibling.stats.mtimeNs);
      return {
        ...identity,
        coding,
        path: sibling.real,
        stats: sibling.stats,
        validators: tagged(validators, coding),
      };
    }
  }
  const coding = accepted[0];
  if (
    config.compress &&
    coding !== undefined &&
    !query.rangeRequested &&
    found.stats.size >= BigInt(config.compressMinSize)
  ) {
    return { ...identity, coding, onTheFly: true, validators: tagged(identity.validators, coding) };
  }
  return identity;
}

/** Validators whose entity tag names the coding: `"size-mtime"` becomes `"size-mtime-br"`. */
function tagged(validators: Validators, coding: Compression): Validators {
  return { ...validators, etag: `${validators.etag.slice(0, -1)}-${coding}"` };
}

/**
 * The precompressed sibling at `path` (null unless it is a regular file whose real path is inside root, has no
 * dot component unless dotfiles are served, and is not older than the original), and the stats seen there
 * (undefined when nothing is there).
 */
async function findSibling(
  config: StaticConfig,
  path: string,
  original: BigIntStats,
): Promise<{ sibling: FoundFile | null; seen: BigIntStats | undefined }> {
  let real: string;
  let stats: BigIntStats;
  try {
    real = await realpath(path);
    stats = await stat(real, { bigint: true });
  } catch {
    return { sibling: null, seen: undefined };
  }
  const usable =
    isInside(config.root, real) &&
    (config.dotfiles || !hasDotComponent(config.root, real)) &&
    stats.isFile() &&
    stats.mtimeNs >= original.mtimeNs;
  return { sibling: usable ? { real, stats } : null, seen: stats };
}
