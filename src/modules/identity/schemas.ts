import { Type } from 'typebox';

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    role: Type.Union([Type.Literal('customer'), Type.Literal('admin')]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'an account' },
);

export const SessionSchema = Type.Object(
  {
    id: Type.String(),
    current: Type.Boolean({ description: 'the session this request was made with' }),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.String({ format: 'date-time', description: 'to within a minute' }),
    userAgent: Type.Union([Type.String(), Type.Null()], { description: 'the User-Agent it signed in with' }),
    address: Type.Union([Type.String(), Type.Null()], { description: 'the client address it signed in from' }),
  },
  { description: 'a signed-in session' },
);
