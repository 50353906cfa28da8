/**
 * The theming page: the same checkout three times, one per Appearance preset (light, dark,
 * flat), each on a page of matching colours. Also shows several isolated instances on one page:
 * three intents, three card frames, three channels. kassa.js comes from the server-rendered tag.
 */
import type { KassaCheckout, Theme } from '@kassa/widget';
import { MESSAGES, isLocale } from '../i18n.js';
import { createCheckout } from '../shared/api.js';

const lang = document.documentElement.lang;
const locale = isLocale(lang) ? lang : 'en';
const t = MESSAGES[locale];
const app = document.getElementById('app');
if (!app) throw new Error('#app is missing');

const PRESETS: ReadonlyArray<[Theme, string]> = [
  ['light', t.themeLight],
  ['dark', t.themeDark],
  ['flat', t.themeFlat],
];

const grid = document.createElement('div');
grid.className = 'presets';
const intro = document.createElement('p');
intro.textContent = t.themingIntro;
const heading = document.createElement('h1');
heading.textContent = t.navTheming;
app.replaceChildren(heading, intro, grid);

for (const [theme, label] of PRESETS) {
  const section = document.createElement('section');
  section.className = `preset preset-${theme}`;
  section.dataset.testid = `preset-${theme}`;
  const title = document.createElement('h2');
  title.textContent = label;
  section.append(title);
  grid.append(section);
  // One intent per preset, as three separate checkouts would have.
  void createCheckout({ items: [{ product: 'tea', quantity: 1 }], checkout_id: crypto.randomUUID() }).then((result) => {
    const el = document.createElement('kassa-checkout') as KassaCheckout;
    el.appearance = { theme };
    el.setAttribute('locale', locale);
    el.setAttribute('client-secret', result.client_secret);
    section.append(el);
  });
}
