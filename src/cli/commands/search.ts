import Table from 'cli-table3';
import type { Command } from 'commander';

import { resolveConfig } from '../../config/config.js';
import { ConfigError } from '../../core/errors.js';
import { type SearchResult, searchProducts } from '../../search/search.js';
import { type CliContext, ExitCode } from '../context.js';
import { tableStyle } from '../terminal.js';
import { addModelOptions, addOutputOptions, addStoreOptions } from '../options.js';

export function registerSearch(program: Command, context: CliContext): void {
  const command = program
    .command('search')
    .description('find products by image or by text')
    .option('--image <file>', 'find products that look like this image')
    .option('--text <query>', 'find products matching this description')
    .option('--limit <k>', 'number of results (default 10)')
    .option('--category <name>', 'only products of this category')
    .option('--all-images', 'list every matching image, not one per product');
  addStoreOptions(command);
  addModelOptions(command);
  addOutputOptions(command);

  command.action(async (flags) => {
    const limit = flags.limit === undefined ? 10 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ConfigError(`--limit must be a whole number from 1 to 1000, not "${flags.limit}".`);
    }

    const result = await searchProducts(resolveConfig(flags), {
      image: flags.image,
      text: flags.text,
      limit,
      category: flags.category,
      allImages: flags.allImages,
    });

    context.terminal.out(flags.json ? JSON.stringify(result) : describe(result));
    context.exitCode = ExitCode.ok;
  });
}

function describe(result: SearchResult): string {
  const query = result.query.text !== undefined ? `"${result.query.text}"` : result.query.image;
  if (result.hits.length === 0) {
    return `No results for ${query} in "${result.collection}".`;
  }

  const table = new Table({
    head: ['#', 'score', 'product', 'name', 'category', 'image'],
    style: tableStyle(),
  });
  for (const hit of result.hits) {
    table.push([
      hit.rank,
      hit.score.toFixed(4),
      hit.productId,
      hit.name,
      hit.category,
      hit.imagePath,
    ]);
  }
  return `Results for ${query} in "${result.collection}" (model ${result.model}):\n${table.toString()}`;
}
