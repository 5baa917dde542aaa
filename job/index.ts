/** The job side of fanout: how a container resolves an item's kwargs into its command. */

export { ITEM_ID_VARIABLE, resolveArrayItem, resolveJobInvocation, s3RangeReader } from './array-item';
export {
  type Invocation,
  InvocationError,
  KWARGS_VARIABLE,
  kwargEnvironment,
  kwargText,
  parseKwargs,
  placeholderNames,
  type ResolvedInvocation,
  resolveInvocation,
  substitutePlaceholders,
} from './invocation';
export {
  ARRAY_INDEX_VARIABLE,
  ARRAY_OFFSET_VARIABLE,
  encodeManifestIndex,
  INDEX_ENTRY_BYTES,
  indexedItemCount,
  MANIFEST_INDEX_VARIABLE,
  MANIFEST_VARIABLE,
  ManifestReader,
  type ManifestReaderOptions,
  type ObjectLocation,
  parseObjectUri,
  type ReadRange,
} from './manifest-index';
