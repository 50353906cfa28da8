import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOCALES, matchLocale, resolveLocale } from '../src/index.js';

test('every supported tag resolves to itself', () => {
  for (const locale of LOCALES) assert.equal(resolveLocale(locale), locale);
});

test('Chinese goes by script: Traditional to zh-TW, Simplified to zh-CN', () => {
  for (const tag of ['zh-TW', 'zh-HK', 'zh-MO', 'zh-Hant', 'zh-Hant-HK', 'zh_TW', 'ZH-hk']) assert.equal(matchLocale(tag), 'zh-TW', tag);
  for (const tag of ['zh', 'zh-CN', 'zh-SG', 'zh-Hans', 'zh-Hans-CN', 'zh-Hans-HK']) assert.equal(matchLocale(tag), 'zh-CN', tag);
});

test('other languages match on their primary subtag', () => {
  assert.equal(matchLocale('ja-JP'), 'ja');
  assert.equal(matchLocale('es-419'), 'es');
  assert.equal(matchLocale('de-AT'), 'de');
  assert.equal(matchLocale('fr-CA'), 'fr');
  assert.equal(matchLocale('en-GB'), 'en');
});

test('a language Kassa does not speak falls through to the next candidate, then English', () => {
  assert.equal(matchLocale('pt-BR'), null);
  assert.equal(resolveLocale('pt-BR'), 'en');
  assert.equal(resolveLocale('pt-BR', 'zh-HK'), 'zh-TW');
  assert.equal(resolveLocale('', null, undefined, 'de-CH'), 'de');
  assert.equal(resolveLocale('not a tag!', '"><script>'), 'en');
  assert.equal(resolveLocale(), 'en');
});
