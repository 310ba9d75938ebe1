// Front-end asset build: `npm run build` (node static/build.mjs)
//
//   static/src/app.scss  -> static/dist/app.css (compressed)
//   govuk-frontend JS    -> static/dist/govuk-frontend.min.js (+ .map)
//   placeholder favicon  -> static/dist/assets/images/favicon.svg
//
// Fails (exit 1) if the CSS references a font file or any other host, or if
// any GOV.UK Frontend image (crown, crest) ends up in static/dist.

import { createHash } from 'node:crypto'
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

import * as sass from 'sass'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const govuk = join(root, 'node_modules', 'govuk-frontend', 'dist', 'govuk')
const dist = join(root, 'static', 'dist')
const imagesOut = join(dist, 'assets', 'images')

// No file from govuk-frontend's assets/ is shipped: every image there is GOV.UK
// branding (favicon.ico/.svg, govuk-icon-*.png and govuk-icon-mask.svg are
// the crown; govuk-crest.svg is the crest; govuk-opengraph-image.png is the
// crown) and assets/fonts/ is GDS Transport. The compiled CSS needs no image
// (its only url() is the footer crest, neutralised in app.scss).
// Until the council supplies its own icons, write a neutral placeholder
// favicon (brand-blue tile, white house) for the <head> to link to.
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="6" fill="#1d70b8"/>' +
  '<path fill="#fff" d="M16 5 4 15h3.5v12h6.5v-7h4v7h6.5V15H28z"/>' +
  '</svg>\n'

// url()s GOV.UK Frontend emits for things we never show. They are allowed to
// dangle (app.scss also neutralises the rule that uses the crest).
const KNOWN_UNSHIPPED = new Set(['/static/dist/assets/images/govuk-crest.svg'])

const written = []

async function record (file) {
  const { size } = await stat(file)
  written.push({ file: relative(root, file), size })
}

function fail (message) {
  console.error(`build failed: ${message}`)
  process.exit(1)
}

// static/dist is build output only: start clean so nothing stale survives
await rm(dist, { recursive: true, force: true })
await mkdir(imagesOut, { recursive: true })

// 1. CSS
const result = sass.compile(join(root, 'static', 'src', 'app.scss'), {
  style: 'compressed',
  loadPaths: [join(root, 'node_modules')],
  // Deprecation notices from inside govuk-frontend are not ours to fix
  quietDeps: true
})
const css = result.css

// Guard: no font files, no other hosts (compressed output has no comments,
// but strip any /* */ that survive, e.g. /*! */, before checking).
const cssNoComments = css.replace(/\/\*[\s\S]*?\*\//g, '')
const problems = []
if (/GDS Transport/i.test(cssNoComments)) problems.push('mentions "GDS Transport"')
if (/@font-face/i.test(cssNoComments)) problems.push('contains @font-face')
const fontFile = cssNoComments.match(/[^\s"'()]*\.(woff2?|ttf|otf|eot)\b/i)
if (fontFile) problems.push(`references a font file (${fontFile[0]})`)
// Attribute selectors such as [href^="http://"] (GOV.UK Frontend's print rule
// that prints a link's URL after it) only match links in the page; they load
// nothing, so they are removed before looking for http://, https:// or a
// protocol-relative //host in url(), @import or anywhere else.
const cssNoSelectors = cssNoComments.replace(/\[[a-z-]+[~|^$*]?=("[^"]*"|'[^']*'|[^\]]*)\]/gi, '')
const host = cssNoSelectors.match(/https?:\/\/[^\s"'()]*|(?:url\(\s*["']?|@import\s+["'])\/\/[^\s"'()]*/i)
if (host) problems.push(`references another host (${host[0]})`)
if (problems.length) fail(`static/dist/app.css ${problems.join('; ')}`)

const cssFile = join(dist, 'app.css')
await writeFile(cssFile, css)
await record(cssFile)

// 2. JavaScript
const jsFile = join(dist, 'govuk-frontend.min.js')
await copyFile(join(govuk, 'govuk-frontend.min.js'), jsFile)
await record(jsFile)
// The .min.js ends with a sourceMappingURL comment: ship the map it names so
// browser dev tools do not 404 on it
const mapFile = join(dist, 'govuk-frontend.min.js.map')
await copyFile(join(govuk, 'govuk-frontend.min.js.map'), mapFile)
await record(mapFile)

// 3. Images
const faviconFile = join(imagesOut, 'favicon.svg')
await writeFile(faviconFile, FAVICON_SVG)
await record(faviconFile)

// Guard: no GOV.UK Frontend image or font (byte-identical copy) in dist
const brandFiles = []
for (const sub of ['images', 'fonts']) {
  const dir = join(govuk, 'assets', sub)
  for (const name of await readdir(dir)) brandFiles.push(join(dir, name))
}
const brandBytes = await Promise.all(brandFiles.map((f) => readFile(f)))
for (const { file } of written) {
  const bytes = await readFile(join(root, file))
  const i = brandBytes.findIndex((b) => b.equals(bytes))
  if (i !== -1) fail(`${file} is GOV.UK Frontend's ${relative(govuk, brandFiles[i])}`)
}

// Every url() in the CSS should now resolve to a file we ship.
const urls = [...cssNoComments.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)]
  .map((m) => m[1])
  .filter((u) => !u.startsWith('data:'))
for (const url of new Set(urls)) {
  if (!url.startsWith('/static/dist/assets/')) {
    fail(`app.css has url(${url}) outside /static/dist/assets/`)
  }
  if (KNOWN_UNSHIPPED.has(url)) {
    console.warn(`note: app.css refers to ${url} (not shipped; rule is unused and overridden)`)
    continue
  }
  const onDisk = join(dist, url.slice('/static/dist/'.length))
  try {
    await stat(onDisk)
  } catch {
    fail(`app.css refers to ${url} but ${relative(root, onDisk)} was not written`)
  }
}

// 4. Fingerprinted copies for far-future caching, and a manifest the app reads.
// The module script's import is rewritten to the fingerprinted library, and the
// library's sourceMappingURL comment is dropped (the map is for development only).
const fingerprint = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 10)
const manifest = {}
const addHashed = async (logical, bytes) => {
  const dot = logical.indexOf('.')
  const name = `${logical.slice(0, dot)}.${fingerprint(bytes)}${logical.slice(dot)}`
  const out = join(dist, name)
  await writeFile(out, bytes)
  await record(out)
  manifest[logical] = name
}
await addHashed('app.css', Buffer.from(css))
const library = (await readFile(jsFile, 'utf8')).replace(/\n?\/\/# sourceMappingURL=.*\s*$/, '\n')
await addHashed('govuk-frontend.min.js', Buffer.from(library))
const appModule = (await readFile(join(root, 'static', 'js', 'app.mjs'), 'utf8'))
  .replace('../dist/govuk-frontend.min.js', `./${manifest['govuk-frontend.min.js']}`)
await addHashed('app.mjs', Buffer.from(appModule))
await writeFile(join(dist, 'manifest.json'), JSON.stringify(manifest, null, 2))

// Report
const kb = (n) => `${(n / 1024).toFixed(1)} KB`
const width = Math.max(...written.map((w) => w.file.length))
for (const { file, size } of written) {
  console.log(`wrote ${file.padEnd(width)}  ${String(size).padStart(7)} B  (${kb(size)})`)
}
console.log(`app.css gzipped: ${gzipSync(css).length} B (${kb(gzipSync(css).length)})`)
