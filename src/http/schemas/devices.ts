import { Type } from 'typebox';

const DateTime = Type.String({ format: 'date-time' });

/** `GET /api/v1/me/trusted-devices` and its administrator twin (docs/api.md). */
export const TrustedDevicesResponse = Type.Object({
  devices: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      client: Type.Union([Type.Literal('web'), Type.Literal('desktop'), Type.Literal('mobile')]),
      createdAt: DateTime,
      lastUsedAt: DateTime,
      expiresAt: DateTime,
      current: Type.Boolean(),
    }),
  ),
});
