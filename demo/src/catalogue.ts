/**
 * The shop's catalogue: the one place prices live. The browser shows these prices, but the
 * demo backend computes every checkout amount from this table again — a price sent by the
 * browser is never trusted (it does not even send one).
 */
import type { Currency } from '@kassa/core';

export interface Product {
  id: string;
  /** Integer minor units of `currency` (¥128.00 CNY = 12800, ¥1,500 JPY = 1500). */
  price: number;
  currency: Currency;
  name: { en: string; 'zh-CN': string };
  blurb: { en: string; 'zh-CN': string };
}

export const PRODUCTS = [
  {
    id: 'tea',
    price: 12_800,
    currency: 'cny',
    name: { en: 'Longjing tea', 'zh-CN': '龙井茶' },
    blurb: { en: '250 g of spring-picked green tea.', 'zh-CN': '明前龙井，250 克。' },
  },
  {
    id: 'mooncakes',
    price: 5_800,
    currency: 'cny',
    name: { en: 'Mooncakes (box of 4)', 'zh-CN': '月饼（四枚装）' },
    blurb: { en: 'Lotus seed paste, salted egg yolk.', 'zh-CN': '莲蓉蛋黄。' },
  },
  {
    id: 'baozi',
    price: 1_280,
    currency: 'cny',
    name: { en: 'Steamed buns (6)', 'zh-CN': '包子（六个）' },
    blurb: { en: 'Pork and cabbage, frozen.', 'zh-CN': '猪肉白菜馅，速冻。' },
  },
  {
    id: 'matcha',
    price: 1_500,
    currency: 'jpy',
    name: { en: 'Uji matcha (30 g)', 'zh-CN': '宇治抹茶（30 克）' },
    blurb: { en: 'Priced in yen: JPY has no minor unit.', 'zh-CN': '以日元计价：日元没有辅币单位。' },
  },
  {
    id: 'teapot',
    price: 4_500,
    currency: 'usd',
    name: { en: 'Yixing clay teapot', 'zh-CN': '宜兴紫砂壶' },
    blurb: { en: 'Priced in US dollars.', 'zh-CN': '以美元计价。' },
  },
] as const satisfies readonly Product[];

export type ProductId = (typeof PRODUCTS)[number]['id'];

const BY_ID: ReadonlyMap<string, Product> = new Map(PRODUCTS.map((p) => [p.id, p]));

export function findProduct(id: string): Product | undefined {
  return BY_ID.get(id);
}

/** Most of one product a single checkout may hold; keeps amounts far below Kassa's maximum. */
export const MAX_QUANTITY = 99;
/** Most distinct lines in one cart (also keeps the intent's metadata under 500 characters). */
export const MAX_LINES = 20;
