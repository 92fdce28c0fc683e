// Great-circle distance and the `near=lat,lon` parameter.
import { InvalidArgumentError } from '../../../common/src/errors';

export interface LatLng {
  readonly latitude: number;
  readonly longitude: number;
}

const EARTH_RADIUS_KM = 6371.0088;

/** Haversine distance in kilometres. */
export function distanceKm(a: LatLng, b: LatLng): number {
  const toRad = (degrees: number): number => (degrees * Math.PI) / 180;
  const dLat = toRad(b.latitude - a.latitude);
  const dLon = toRad(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(toRad(a.latitude)) * Math.cos(toRad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** Parses "lat,lon" in decimal degrees; `field` names the parameter in the error. */
export function parseNear(raw: string, field = 'near'): LatLng {
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.length !== 2 || !parts.every((part) => DECIMAL.test(part))) {
    throw InvalidArgumentError.field(field, 'must be "lat,lon" in decimal degrees, e.g. "25.03,101.55"');
  }
  const [latitude, longitude] = parts.map(Number) as [number, number];
  if (latitude < -90 || latitude > 90) throw InvalidArgumentError.field(field, 'latitude must be between -90 and 90');
  if (longitude < -180 || longitude > 180)
    throw InvalidArgumentError.field(field, 'longitude must be between -180 and 180');
  return { latitude, longitude };
}
