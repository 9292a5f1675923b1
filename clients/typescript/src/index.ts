// @fieldledger/client: Fieldledger's TypeScript client (README.md).

export * from './client.js'
export * from './decimal.js'
export * from './image.js'
export * from './manifest.js'
export * from './plain.js'
export * from './records.js'
export * from './schema.js'
export * from './store.js'
export * from './sync.js'
export * from './upload.js'
