import { createMD5 } from 'hash-wasm';

/**
 * The base64 MD5 of a part, for its Content-MD5: the store then refuses a part whose bytes
 * changed on the way (R2, S3 and the local store all check it). WebCrypto has no MD5, so
 * this is hash-wasm's; the part is read as a stream, never held whole.
 */
export async function partMd5(part: Blob): Promise<string> {
  const md5 = await createMD5();
  md5.init();
  const reader = part.stream().getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) md5.update(chunk.value);
  return base64(md5.digest('binary'));
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
