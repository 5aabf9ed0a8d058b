/** The currencies offered in pickers; the server accepts any ISO 4217 currency with a minor-unit exponent. */
export const CURRENCY_CHOICES = [
  { code: 'USD', name: 'US dollar' },
  { code: 'EUR', name: 'Euro' },
  { code: 'GBP', name: 'Pound sterling' },
  { code: 'JPY', name: 'Japanese yen' },
  { code: 'CHF', name: 'Swiss franc' },
  { code: 'CAD', name: 'Canadian dollar' },
  { code: 'AUD', name: 'Australian dollar' },
  { code: 'KWD', name: 'Kuwaiti dinar' },
] as const;
