/** Why a multipart upload cannot be assembled from its parts, with the `StorageError` code each driver throws. */
export interface PartSizeProblem {
  code: 'invalid_part' | 'entity_too_small';
  /** A clause to follow "The parts of <key> cannot be assembled: ". */
  message: string;
}

/**
 * Why R2 would refuse to assemble parts of these sizes (listed ascending by part number), or
 * null: every part but the last of the same size, the last no larger (R2's rule, which S3 and
 * Ceph do not have: both drivers check it so every store behaves like R2), and with
 * `minPartSize`, every part but the last at least that big (S3's floor, which an S3 store
 * checks itself; the local store has no one else to check it).
 */
export function partSizeProblem(parts: readonly { partNumber: number; size: number }[], { minPartSize = 0 }: { minPartSize?: number } = {}): PartSizeProblem | null {
  const first = parts[0];
  if (!first) return { code: 'invalid_part', message: 'no parts were listed.' };
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    if (!last && part.size < minPartSize) {
      return { code: 'entity_too_small', message: `part ${part.partNumber} is ${part.size} bytes: every part but the last must be at least ${minPartSize} bytes.` };
    }
    if (last ? part.size > first.size : part.size !== first.size) {
      return {
        code: 'invalid_part',
        message: `part ${part.partNumber} is ${part.size} bytes but part ${first.partNumber} is ${first.size}: every part but the last must have the same size, and the last no larger.`,
      };
    }
  }
  return null;
}
