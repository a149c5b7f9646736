/**
 * Test code: which handler serves each OpenAPI operation in the Qdrant stand-in, and which
 * operations a read-only API key may call. Operations missing here are answered 501.
 */
import { createCollection, createFieldIndex } from './collection-handlers.js';
import { requireCollection, type Handler } from './handler-context.js';
import {
  countPoints,
  deletePoints,
  getPoint,
  retrievePoints,
  scrollPoints,
  upsertPoints,
} from './point-handlers.js';
import { collectionInfoJson } from './records.js';
import { queryPoints, searchPoints } from './search-handlers.js';

/** Operations a read-only API key may call (FACTS §7); every other one needs manage access. */
export const READ_OPERATIONS = new Set([
  'get_collections',
  'get_collection',
  'collection_exists',
  'get_collection_aliases',
  'get_collections_aliases',
  'get_points',
  'get_point',
  'scroll_points',
  'count_points',
  'search_points',
  'search_batch_points',
  'search_point_groups',
  'query_points',
  'query_batch_points',
  'query_points_groups',
  'recommend_points',
  'recommend_batch_points',
  'recommend_point_groups',
  'discover_points',
  'discover_batch_points',
  'facet',
  'search_matrix_pairs',
  'search_matrix_offsets',
]);

export const HANDLERS: Record<string, Handler> = {
  get_collections: ({ store }) => ({ collections: store.names().map((name) => ({ name })) }),
  collection_exists: ({ store, pathValues }) => ({
    exists: store.get(pathValues.collection_name) !== undefined,
  }),
  get_collection: (context) => collectionInfoJson(requireCollection(context)),
  create_collection: createCollection,
  delete_collection: ({ store, pathValues }) => store.remove(pathValues.collection_name),
  create_field_index: createFieldIndex,
  upsert_points: upsertPoints,
  get_points: retrievePoints,
  get_point: getPoint,
  delete_points: deletePoints,
  count_points: countPoints,
  scroll_points: scrollPoints,
  search_points: searchPoints,
  query_points: queryPoints,
};
