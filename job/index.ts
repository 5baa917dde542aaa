/** The job side of fanout: how a container resolves an item's kwargs into its command. */
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
