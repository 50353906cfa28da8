import { expect } from '@open-wc/testing';
import { isOriginParam, shapeCvc, shapeExpiry, shapeNumber, toDigits } from '../src/card-frame/card-input.js';

describe('card input shaping', () => {
  it('keeps only digits, converting full-width ones', () => {
    expect(toDigits('４２４２\u3000４２ 4-2x')).to.equal('42424242');
    expect(toDigits('')).to.equal('');
  });

  it('formats numbers by brand and caps their length', () => {
    expect(shapeNumber('4242424242424242')).to.deep.equal({ digits: '4242424242424242', display: '4242 4242 4242 4242', brand: 'visa' });
    expect(shapeNumber('378282246310005999').digits, 'Amex has 15 digits').to.equal('378282246310005');
    expect(shapeNumber('3782822463').display).to.equal('3782 822463');
    expect(shapeNumber('62000000000000051234').digits, 'UnionPay up to 19').to.have.length(19);
    expect(shapeNumber('3566002020360505').brand).to.equal('jcb');
    expect(shapeNumber('5555555555554444').brand).to.equal('mastercard');
  });

  it('shapes expiry input into MM/YY', () => {
    const cases: [string, string][] = [
      ['1', '1'],
      ['12', '12'],
      ['123', '12/3'],
      ['1234', '12/34'],
      ['12/34', '12/34'],
      ['12 / 2034', '12/34'],
      ['1/', '01'],
      ['1/3', '01/3'],
      ['5', '05'],
      ['１２／３４', '12/34'],
      ['12345', '12/34'],
    ];
    for (const [typed, shown] of cases) expect(shapeExpiry(typed), typed).to.equal(shown);
  });

  it('caps the CVC at the brand’s length', () => {
    expect(shapeCvc('12345', 'visa')).to.equal('123');
    expect(shapeCvc('12345', 'amex')).to.equal('1234');
    expect(shapeCvc('１２３', 'visa')).to.equal('123');
  });

  it('accepts only a bare http(s) origin as the frame’s origin parameter', () => {
    expect(isOriginParam('https://shop.example')).to.equal(true);
    expect(isOriginParam('http://localhost:3000')).to.equal(true);
    for (const bad of [null, '', 'https://shop.example/', 'https://shop.example/path', 'javascript:alert(1)', 'null', 'ftp://x.example', '*']) {
      expect(isOriginParam(bad), String(bad)).to.equal(false);
    }
  });
});
