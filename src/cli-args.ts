/**
 * The CLI's commands as data: each declares its words, what `--help` says of it and of each
 * option, and what it runs. From that one declaration come the overview (`airlift --help`),
 * each command's help, its usage line and the checking of its arguments, so that help and
 * parsing cannot drift apart.
 */
import { parseArgs } from 'node:util';
import type { Config } from './config.ts';

export interface Option {
  type: 'string' | 'boolean';
  /** The value's placeholder in the usage line (string options). */
  value?: string;
  /** Required: without it the command refuses, with `missing` when given, else "--x is required." */
  required?: boolean;
  missing?: string;
  description: string;
}

export type Values = Record<string, string | true | undefined>;

/** A command's one positional argument (`webhook add URL`), required; its value is `values[key]`. */
export interface Argument {
  key: string;
  /** Its placeholder in the usage line. */
  value: string;
  description: string;
}

/** One command: its words after `airlift`, what `--help` says of it and its options, and what it does. */
export interface Command {
  words: [string] | [string, string];
  summary: string;
  description: string;
  argument?: Argument;
  options: Record<string, Option>;
  run(values: Values, config: Config): Promise<number>;
}

const HELP: Option = { type: 'boolean', description: 'show this help' };
const ENVIRONMENT = 'Configuration comes from the environment (PORT, HOST, DATA_DIR, DATABASE_URL, R2_*, …); see the README.';

/** The command `airlift help <words>` asks about. */
export function findCommand(commands: Command[], words: string[]): Command | undefined {
  if (words.length > 2) return undefined;
  return commands.find((c) => c.words[0] === words[0] && (words.length === 1 || c.words[1] === words[1]));
}

/**
 * The command `airlift <first> …` runs: the one with that first word, or of a group of
 * subcommands (`user create`, `user disable`), the one the first positional argument names,
 * else the group's first, whose argument check then says which subcommands there are.
 */
export function pickCommand(commands: Command[], first: string, rest: string[]): Command | undefined {
  const group = commands.filter((c) => c.words[0] === first);
  const sub = rest.find((arg) => !arg.startsWith('-'));
  return group.find((c) => c.words[1] === sub) ?? group[0];
}

/** The subcommands of a group, for "it has create, disable and enable". */
function subcommandsOf(commands: Command[], group: string): string {
  const subs = commands.filter((c) => c.words[0] === group).map((c) => c.words[1]!);
  return subs.length > 1 ? `${subs.slice(0, -1).join(', ')} and ${subs.at(-1)}` : subs.join('');
}

/**
 * The command's options from its arguments (what follows its first word), a request for its
 * help, or what is wrong with them in one line. Parsed leniently and checked here, so that a
 * mistake reads in the command's words rather than as a raw parseArgs error.
 */
export function parseOptions(command: Command, args: string[], commands: Command[] = [command]): { help: true } | { error: string } | { values: Values } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [key, option] of Object.entries(command.options)) options[key] = { type: option.type };
  const { tokens, positionals } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  const helpAsked = tokens.some((t) => t.kind === 'option' && t.name === 'help');
  const name = `airlift ${command.words.join(' ')}`;
  const [group, sub] = command.words;
  if (sub !== undefined && positionals[0] !== sub) {
    if (helpAsked && positionals.length === 0) return { help: true };
    const subs = subcommandsOf(commands, group);
    return { error: positionals[0] === undefined ? `airlift ${group} needs a subcommand: ${subs}.` : `airlift ${group} has no subcommand "${positionals[0]}"; it has ${subs}.` };
  }
  if (helpAsked) return { help: true };
  const values: Values = {};
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = command.options[token.name];
    if (!option) return { error: `${name}: unknown option ${token.rawName}.` };
    // `--email --admin` is a missing value, not the address "--admin".
    if (option.type === 'string' && (!token.value || (!token.inlineValue && token.value.startsWith('-')))) return { error: `${name}: ${token.rawName} needs a value.` };
    if (option.type === 'boolean' && token.inlineValue) return { error: `${name}: ${token.rawName} takes no value.` };
    values[token.name] = option.type === 'string' ? token.value : true;
  }
  const extra = positionals.slice(sub === undefined ? 0 : 1);
  if (command.argument) {
    const given = extra.shift();
    if (given === undefined) return { error: `${name}: give the ${command.argument.value} (${command.argument.description}).` };
    values[command.argument.key] = given;
  }
  if (extra.length > 0) return { error: `${name}: unexpected argument "${extra[0]}".` };
  for (const [key, option] of Object.entries(command.options)) {
    if (option.required && values[key] === undefined) return { error: `${name}: ${option.missing ?? `--${key} is required.`}` };
  }
  return { values };
}

export function usage(command: Command): string {
  const options = Object.entries(command.options).map(([key, option]) => {
    const text = `--${key}${option.value ? ` ${option.value}` : ''}`;
    return option.required ? text : `[${text}]`;
  });
  return `Usage: airlift ${[...command.words, ...(command.argument ? [command.argument.value] : []), ...options].join(' ')}`;
}

/** `airlift <command> --help`: the usage line, what the command does, and each option. */
export function help(command: Command): string {
  const rows = [...Object.entries(command.options), ['help', HELP] as const].map(([key, option]) => {
    const flag = `${key === 'help' ? '-h, ' : ''}--${key}${option.value ? ` ${option.value}` : ''}`;
    return `  ${flag.padEnd(20)} ${option.description}${option.required ? ' (required)' : ''}`;
  });
  const argument = command.argument ? `Argument:\n  ${command.argument.value.padEnd(20)} ${command.argument.description}\n\n` : '';
  return `${usage(command)}\n\n${wrap(command.description)}\n\n${argument}Options:\n${rows.join('\n')}\n\n${wrap(ENVIRONMENT)}`;
}

/** `airlift --help`: every command, how it is called and what it does. */
export function overview(commands: Command[]): string {
  const rows = commands.map((c) => {
    const call = usage(c).slice('Usage: airlift '.length);
    return call.length > 30 ? `  ${call}\n  ${''.padEnd(31)}${c.summary}` : `  ${call.padEnd(31)}${c.summary}`;
  });
  return `Usage: airlift <command> [options]\n\nCommands:\n${rows.join('\n')}\n\nRun "airlift <command> --help" for what a command does and its options.\n${wrap(ENVIRONMENT)}`;
}

/** Breaks a paragraph into lines of at most 90 characters. */
function wrap(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > 90) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
}
