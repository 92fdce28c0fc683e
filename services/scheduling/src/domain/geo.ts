// Where a patient is and how far an institution is from her: the `near=lat,lon` parameter and great-circle
// distance (haversine on a sphere of the earth's mean radius: metres of error over a prefecture, irrelevant here).
import { InvalidArgumentError } from '../../../common/src/errors';

export interface Point {
  readonly latitude: number;
  readonly longitude: number;
}

const EARTH_MEAN_RADIUS_KM = 6371.0088;
const NUMBER = /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/;

/** Reads `lat,lon` in WGS 84 degrees, naming the field when malformed or out of range; undefined when empty. */
export function parseNear(value: string, field: string): Point | undefined {
  if (value.trim() === '') return undefined;
  const parts = value.split(',');
  if (parts.length !== 2 || !parts.every((part) => NUMBER.test(part)))
    throw InvalidArgumentError.field(field, 'must be "lat,lon" in degrees, e.g. "25.03,101.55"');
  const [latitude, longitude] = parts.map(Number) as [number, number];
  if (latitude < -90 || latitude > 90) throw InvalidArgumentError.field(field, 'latitude must be between -90 and 90');
  if (longitude < -180 || longitude > 180)
    throw InvalidArgumentError.field(field, 'longitude must be between -180 and 180');
  return { latitude, longitude };
}

function radians(degrees: number): number {
  return (degrees * Math.PI) / 180;
}

export function greatCircleKm(a: Point, b: Point): number {
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_MEAN_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface RankedSlot {
  readonly distanceKm: number | undefined;
  readonly start: Date;
  readonly institutionCode: string;
}

/** Nearest institution first, then earliest; without a point, earliest first. Ties by institution code (stable pages). */
export function compareSlots(a: RankedSlot, b: RankedSlot): number {
  const byDistance = (a.distanceKm ?? 0) - (b.distanceKm ?? 0);
  if (byDistance !== 0) return byDistance;
  return a.start.getTime() - b.start.getTime() || a.institutionCode.localeCompare(b.institutionCode);
}
