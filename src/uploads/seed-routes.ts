import type { FastifyInstance } from 'fastify';
import { currentUser, requireUser } from '../auth/plugin.ts';
import type { AppContext } from '../context.ts';
import type { Upload, User } from '../db/schema.ts';
import { badRequest, notFound, unsupportedType } from '../errors.ts';
import { createPhoto, createVideo } from '../media/service.ts';
import { mediaUrl } from '../media/urls.ts';
import { seedPresignQuery, seedSaveBody, type SeedPresigned, type SeedSaveBody } from '../shared/api.ts';
import { cleanFilename, extensionOf, isKeyOfKind, newKey, typeForFilename } from './rules.ts';
import { checkType, signedPut, ticketExpiry, verifyStoredObject } from './service.ts';
import { MULTIPART_LIMITS } from '../storage/driver.ts';
import { randomUUID } from 'node:crypto';
import type { MediaKind } from '../config.ts';

/**
 * The seed's three endpoints, with its exact paths and fields, so its own page script works.
 * Unlike the seed, saving trusts nothing the client sends but the key, and only a key this
 * server issued to this user for that kind, whose object it has checked in the store.
 */
export async function seedRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', requireUser);

  app.get('/api/generate-presigned-url/', async (request): Promise<SeedPresigned> => {
    const user = currentUser(request);
    const query = seedPresignQuery.parse(request.query);
    const filename = cleanFilename(query.filename);
    const kind: MediaKind = query.type;
    // The seed's PUT sends `file.type`, which browsers derive from the extension.
    const contentType = typeForFilename(filename);
    if (!contentType) throw unsupportedType(`Files with the extension "${extensionOf(filename) || '(none)'}" are not accepted; allowed: ${app.config.allowedTypes[kind].join(', ')}.`);
    checkType(app, kind, contentType);
    const key = newKey(kind, filename);
    // The seed sends no size: bind the URL to the kind's limit (and one PUT's), and check the object on save.
    const maxLength = Math.min(app.config.maxSize[kind], MULTIPART_LIMITS.maxSinglePut);
    const put = await app.storage.presignPut(key, { contentType, maxLength, expiresIn: app.config.uploadUrlExpires });
    const id = randomUUID();
    await app.db
      .insertInto('uploads')
      .values({ id, owner_id: user.id, kind, key, filename, content_type: contentType, size: null, strategy: 'single', expires_at: ticketExpiry(app) })
      .execute();
    request.log.info({ upload: id, kind, strategy: 'single', user: user.id, seed: true }, 'upload granted');
    const signed = signedPut(put);
    return { presigned_url: signed.url, file_key: key, public_url: mediaUrl(app, key), content_type: contentType, headers: signed.headers, expires_at: signed.expires_at, upload_id: id };
  });

  app.post('/api/save-video-metadata/', async (request) => {
    const user = currentUser(request);
    const body = seedSaveBody.parse(request.body);
    // Both tickets are checked before either is completed: a wrong cover leaves the video's ticket as it was.
    const upload = await findSeedUpload(app, user, body.file_key, 'video');
    const cover = body.cover_file_key ? await findSeedUpload(app, user, body.cover_file_key, 'cover') : null;
    const video = await createVideo(app, user, {
      title: body.title,
      description: body.description,
      upload_id: await completeSeedUpload(app, upload),
      cover_upload_id: cover && (await completeSeedUpload(app, cover)),
    });
    request.log.info({ video: video.id, key: video.file_key, seed: true }, 'video saved');
    return { success: true, video_id: video.id };
  });

  app.post('/api/save-photo-metadata/', async (request) => {
    const user = currentUser(request);
    const body: SeedSaveBody = seedSaveBody.parse(request.body);
    const upload = await completeSeedUpload(app, await findSeedUpload(app, user, body.file_key, 'photo'));
    const photo = await createPhoto(app, user, { title: body.title, description: body.description, upload_id: upload });
    request.log.info({ photo: photo.id, key: photo.file_key, seed: true }, 'photo saved');
    return { success: true, photo_id: photo.id };
  });
}

/** The caller's ticket for a seed `file_key` of this kind. */
async function findSeedUpload(ctx: AppContext, user: User, fileKey: string, kind: MediaKind): Promise<Upload> {
  const upload = await ctx.db.selectFrom('uploads').selectAll().where('key', '=', fileKey).where('owner_id', '=', user.id).executeTakeFirst();
  if (!upload) throw notFound(`No upload with the file_key "${fileKey.slice(0, 100)}" was issued to you.`);
  if (upload.kind !== kind || !isKeyOfKind(fileKey, kind)) throw badRequest(`The file_key "${fileKey}" is a ${upload.kind} upload, not a ${kind}.`, 'wrong_kind');
  return upload;
}

/** Checks a seed ticket's stored object (once), and returns the upload id. */
async function completeSeedUpload(ctx: AppContext, upload: Upload): Promise<string> {
  if (upload.state === 'pending') await verifyStoredObject(ctx, upload);
  return upload.id;
}
