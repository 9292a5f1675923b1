// Uploads photos to a running Fieldledger server with tus-js-client, the stock tus client, configured as
// its README shows (only `filename` / `filetype` metadata) and with retries off, so a request that
// fails fails the check instead of being hidden by a retry. Run by server/tests/tus_stock_clients.rs:
//
//   FIELDLEDGER_URL=http://127.0.0.1:8080 FIELDLEDGER_TOKEN=... PHOTO_A=a.jpg PHOTO_B=b.jpg node check.mjs
//
// Prints one JSON line per upload (its requests and the photo's address) and exits non-zero on the
// first failure.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import tus from 'tus-js-client'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const endpoint = `${env('FIELDLEDGER_URL')}/v1/uploads`
const token = env('FIELDLEDGER_TOKEN')
const photoA = readFileSync(env('PHOTO_A'))
const photoB = readFileSync(env('PHOTO_B'))
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex')
const stockMetadata = { filename: 'site.jpg', filetype: 'image/jpeg' }

function check(ok, message) {
  if (!ok) throw new Error(message)
}

/// One tus-js-client upload; resolves with the requests it made ({method, offset, status, responseOffset})
/// and the final response's `Blob-Sha256`. `stopAfterFirstChunk` aborts it once the first chunk is in and
/// resolves with its URL instead.
function upload(input, options, { stopAfterFirstChunk = false } = {}) {
  const requests = []
  return new Promise((resolve, reject) => {
    const u = new tus.Upload(input, {
      endpoint,
      headers: { Authorization: `Bearer ${token}` },
      retryDelays: null,
      ...options,
      onBeforeRequest(req) {
        requests.push({ method: req.getMethod(), offset: req.getHeader('Upload-Offset') ?? null })
      },
      onAfterResponse(req, res) {
        const r = requests[requests.length - 1]
        r.status = res.getStatus()
        r.responseOffset = res.getHeader('Upload-Offset') ?? null
      },
      onError: reject,
      onChunkComplete() {
        if (stopAfterFirstChunk) {
          u.abort().then(() => resolve({ requests, url: u.url }), reject)
        }
      },
      onSuccess({ lastResponse }) {
        resolve({ requests, url: u.url, sha256: lastResponse.getHeader('Blob-Sha256') ?? null })
      },
    })
    u.start()
  })
}

function report(name, r) {
  console.log(JSON.stringify({ name, ...r }))
  const failed = r.requests.filter((q) => !(q.status >= 200 && q.status < 300))
  check(failed.length === 0, `${name}: requests that did not succeed: ${JSON.stringify(failed)}`)
}

// 1. A new photo with only the metadata stock clients send: created, sent, addressed by its content.
const first = await upload(photoA, { metadata: stockMetadata })
report('new photo, filename and filetype only', first)
check(
  JSON.stringify(first.requests.map((q) => q.method)) === '["POST","PATCH"]',
  'one creation and one PATCH',
)
check(first.sha256 === sha256(photoA), `Blob-Sha256 ${first.sha256} is the photo's SHA-256 ${sha256(photoA)}`)

// 2. The same bytes again without a hash: the server cannot know them before they arrive; they are sent
// and stored once (the Rust test counts the blobs).
const again = await upload(photoA, { metadata: stockMetadata })
report('same photo again, no sha256', again)
check(again.sha256 === first.sha256, 'the same address')

// 3. The same photo declaring its hash: complete at creation. tus-js-client still PATCHes from 0 (it
// ignores the creation's Upload-Offset) and must be told the upload is whole, not 409.
const known = await upload(photoA, { metadata: { ...stockMetadata, sha256: sha256(photoA) } })
report('photo the server has, sha256 declared', known)
const [post, patch] = known.requests
check(post.method === 'POST' && Number(post.responseOffset) === photoA.length, 'creation says it is complete')
check(
  patch?.method === 'PATCH' && patch.offset === '0' && Number(patch.responseOffset) === photoA.length,
  `the PATCH from 0 is answered with the final offset: ${JSON.stringify(patch)}`,
)
check(known.requests.length === 2, 'nothing else')

// 4. Interrupted after the first 64 KiB chunk, resumed from the stored URL (HEAD, then the rest).
const chunkSize = 64 * 1024
check(photoB.length > 3 * chunkSize, `PHOTO_B must be over ${3 * chunkSize} bytes`)
const cut = await upload(photoB, { metadata: stockMetadata, chunkSize }, { stopAfterFirstChunk: true })
report('interrupted after the first chunk', cut)
check(cut.url, 'the interrupted upload has a URL')
const resumed = await upload(photoB, { metadata: stockMetadata, chunkSize, uploadUrl: cut.url })
report('resumed from its URL', resumed)
check(resumed.requests[0].method === 'HEAD', 'resumption asks where the upload stands')
check(Number(resumed.requests[0].responseOffset) === chunkSize, 'the first chunk was kept')
check(resumed.requests[1].offset === String(chunkSize), 'and the next PATCH starts after it')
check(!resumed.requests.some((q) => q.method === 'POST'), 'no new upload was created')
check(resumed.sha256 === sha256(photoB), 'the resumed upload is the photo')

console.log(JSON.stringify({ ok: true, a: sha256(photoA), b: sha256(photoB) }))
