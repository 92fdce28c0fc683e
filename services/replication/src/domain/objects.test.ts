import { InvalidArgumentError } from '../../../common/src/errors';
import { checkUpload, DEFAULT_CONTENT_TYPES, normaliseContentType, overLimit, parseReference } from './objects';
import { fieldsOf as violations } from '../../../common/test/violations';

const rules = { maxBytes: 1000, contentTypes: DEFAULT_CONTENT_TYPES };
const patient = '3f2a6c1e-8b4d-4e1a-9c2b-7d5e6f708192';

describe('object uploads', () => {
  it('accept an allowed type, a size within the limit and a patient reference', () => {
    const upload = checkUpload(
      { contentType: 'Image/JPEG', size: 1000, sha256: '', reference: `patient:${patient.toUpperCase()}` },
      rules,
    );
    expect(upload).toEqual({
      contentType: 'image/jpeg',
      size: 1000,
      sha256: undefined,
      reference: { kind: 'patient', id: patient },
    });
  });

  it('name every bad field at once', () => {
    expect(
      violations(() =>
        checkUpload(
          { contentType: 'application/x-msdownload', size: 1001, sha256: 'xyz', reference: 'record:1' },
          rules,
        ),
      ),
    ).toEqual(['contentType', 'size', 'sha256', 'reference']);
    expect(
      violations(() => checkUpload({ contentType: '', size: 1, sha256: '', reference: `patient:${patient}` }, rules)),
    ).toEqual(['contentType']);
  });

  it('keep only the charset parameter of a content type', () => {
    expect(normaliseContentType('text/plain; Charset=UTF-8; boundary=x')).toEqual({
      full: 'text/plain; charset=utf-8',
      mediaType: 'text/plain',
    });
  });

  it('parse references of both kinds and refuse others', () => {
    expect(parseReference('consultation:0B6F1F64-3C1E-4F55-9A37-2C0A8C1F2E10')).toEqual({
      kind: 'consultation',
      id: '0b6f1f64-3c1e-4f55-9a37-2c0a8c1f2e10',
    });
    expect(parseReference('consultation:c-42')).toBeUndefined();
    expect(parseReference('patient:not-a-uuid')).toBeUndefined();
    expect(parseReference('consultation:../../etc')).toBeUndefined();
    expect(parseReference('patient')).toBeUndefined();
  });

  it('stop a stream at the first byte over the limit or over the declared size', () => {
    expect(overLimit(1000, 0, 1000)).toBeUndefined();
    expect(overLimit(1001, 0, 1000)).toMatch(/at most/);
    expect(overLimit(11, 10, 1000)).toMatch(/declared/);
  });
});
