// Photo uploads over tus 1.0 (docs/sync-protocol.md, "Photo uploads") on tus-js-client, the stock
// client: resumable (give `uploadUrl` to carry on where an interrupted upload stopped: it asks HEAD
// for the server's offset and sends the rest), `sha256` optional (the server hashes what arrives and
// answers the photo's address in `Blob-Sha256`; declared, a photo the server already has is not
// sent again).

import * as tus from 'tus-js-client'

import { bytesToHex } from './manifest.js'

export interface UploadOptions {
  /** Declare the photo's SHA-256 in the metadata (computed here): a photo the project already has is complete at once. */
  declareSha256?: boolean
  filename?: string
  /** `image/jpeg` or `image/png`; found from the bytes if not given. */
  mime?: string
  /** Bytes per PATCH (default: the whole file in one). A resume loses at most a chunk. */
  chunkSize?: number
  /** Resume this upload (the `url` of an interrupted one) instead of creating a new one. */
  uploadUrl?: string
  /** tus-js-client's retry delays in ms (default: none, so a failure is reported at once). */
  retryDelays?: number[] | null
  onProgress?: (sent: number, total: number) => void
  onChunkComplete?: (chunk: number, sent: number, total: number) => void
  /** Every request tus-js-client makes, after its response: method, the Upload-Offset sent, status, the one answered. */
  onRequest?: (r: UploadRequest) => void
}

export interface UploadRequest {
  method: string
  offset: string | null
  status: number
  responseOffset: string | null
}

export interface UploadDone {
  /** The photo's address: lower-case hex SHA-256 of the original (the server's `Blob-Sha256`). */
  sha256: string
  /** The upload's URL (to resume, or to forget with DELETE). */
  url: string
}

/** An upload under way: `done` resolves when the server has the whole photo; `abort()` interrupts it. */
export interface PhotoUpload {
  done: Promise<UploadDone>
  /** Stops sending; the server keeps what arrived (resume with `uploadUrl: upload.url`). */
  abort(): Promise<void>
  /** The upload's URL once created (undefined before). */
  readonly url: string | undefined
}

export class UploadAborted extends Error {
  constructor(readonly url: string | undefined) {
    super(`upload interrupted${url ? ` at ${url}` : ''}`)
    this.name = 'UploadAborted'
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return bytesToHex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as BufferSource)))
}

/** The upload source tus-js-client takes here: a Buffer in Node, a Blob in browsers. */
function source(bytes: Uint8Array, mime: string): unknown {
  const B = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): unknown } }).Buffer
  if (B) return B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return new Blob([bytes as BlobPart], { type: mime })
}

export function startUpload(
  server: string,
  token: string,
  bytes: Uint8Array,
  mime: string,
  opts: UploadOptions = {},
): PhotoUpload {
  let upload: tus.Upload | undefined
  let aborted = false
  let rejectDone: (e: unknown) => void = () => {}
  const pending: UploadRequest[] = []
  const done = new Promise<UploadDone>((resolve, reject) => {
    rejectDone = reject
    const begin = async () => {
      const metadata: Record<string, string> = { filename: opts.filename ?? 'photo', filetype: mime }
      if (opts.declareSha256) metadata.sha256 = await sha256Hex(bytes)
      upload = new tus.Upload(source(bytes, mime) as tus.Upload['file'], {
        endpoint: `${server.replace(/\/$/, '')}/v1/uploads`,
        uploadUrl: opts.uploadUrl ?? null,
        headers: { Authorization: `Bearer ${token}` },
        metadata,
        chunkSize: opts.chunkSize ?? Infinity,
        retryDelays: opts.retryDelays === undefined ? null : opts.retryDelays,
        // The server does not offer creation-with-upload: the first chunk would go twice.
        uploadDataDuringCreation: false,
        onBeforeRequest(req) {
          pending.push({ method: req.getMethod(), offset: req.getHeader('Upload-Offset') ?? null, status: 0, responseOffset: null })
        },
        onAfterResponse(_req, res) {
          const r = pending.shift()
          if (r) {
            r.status = res.getStatus()
            r.responseOffset = res.getHeader('Upload-Offset') ?? null
            opts.onRequest?.(r)
          }
        },
        onProgress: opts.onProgress,
        onChunkComplete: opts.onChunkComplete,
        onError: (e) => reject(aborted ? new UploadAborted(upload?.url ?? undefined) : e),
        onSuccess: ({ lastResponse }) => {
          const sha = lastResponse.getHeader('Blob-Sha256')
          if (!sha) return reject(new Error('the server did not name the photo (no Blob-Sha256 on the last answer)'))
          resolve({ sha256: sha.toLowerCase(), url: upload?.url ?? '' })
        },
      })
      if (!aborted) upload.start()
    }
    begin().catch(reject)
  })
  return {
    done,
    get url() {
      return upload?.url ?? undefined
    },
    async abort() {
      aborted = true
      if (upload) await upload.abort(false)
      rejectDone(new UploadAborted(upload?.url ?? undefined))
    },
  }
}
