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
