import { describe, expect, it } from 'vitest';
import { isLocale, locales, messageKeys, translate } from './i18n';

describe('translate', () => {
  const cases: { name: string; got: () => string; want: string }[] = [
    { name: 'Vietnamese text', got: () => translate('vi', 'section.kds.title'), want: 'Màn hình bếp' },
    { name: 'English text', got: () => translate('en', 'section.kds.title'), want: 'Kitchen display' },
    {
      name: 'fills a placeholder',
      got: () => translate('vi', 'section.shop_id', { shop_id: 'abc-123' }),
      want: 'Mã cửa hàng: abc-123',
    },
    {
      name: 'fills a number placeholder',
      got: () => translate('en', 'status.not_ready', { status: 503 }),
      want: 'Server not ready (HTTP 503)',
    },
    {
      name: 'leaves a placeholder without a value visible',
      got: () => translate('en', 'section.shop_id', { other: 'x' }),
      want: 'Shop id: {shop_id}',
    },
    {
      name: 'does not expand placeholders inside values',
      got: () => translate('en', 'not_found.body', { path: '/{path}' }),
      want: 'The address /{path} does not exist.',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(c.got()).toBe(c.want);
    });
  }
});

describe('message tables', () => {
  it('have the same keys in every locale', () => {
    const want = [...messageKeys('vi')].sort();
    for (const locale of locales) {
      expect([...messageKeys(locale)].sort()).toEqual(want);
    }
  });

  it('have no empty text and the same placeholders in every locale', () => {
    const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
    for (const key of messageKeys('vi')) {
      const vi = translate('vi', key);
      for (const locale of locales) {
        const text = translate(locale, key);
        expect(text.trim(), `${locale} ${key}`).not.toBe('');
        expect(placeholders(text), `${locale} ${key}`).toEqual(placeholders(vi));
      }
    }
  });
});

describe('isLocale', () => {
  const cases: { value: unknown; want: boolean }[] = [
    { value: 'vi', want: true },
    { value: 'en', want: true },
    { value: 'fr', want: false },
    { value: 'VI', want: false },
    { value: null, want: false },
    { value: 1, want: false },
  ];
  for (const c of cases) {
    it(`${String(c.value)} → ${c.want}`, () => {
      expect(isLocale(c.value)).toBe(c.want);
    });
  }
});
