import { Type } from 'typebox';
import { MoneySchema } from '../../platform/http/schemas.js';

const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export const AttributesSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean()]),
  { maxProperties: 50, description: 'free-form attributes: string, number or boolean values' },
);

const Title = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Category = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Description = Type.String({ maxLength: 10_000 });

export const VariantSchema = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  title: Type.String(),
  price: MoneySchema,
  attributes: AttributesSchema,
});

export const ProductSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  description: Type.String(),
  category: Type.String(),
  attributes: AttributesSchema,
  status: Type.Union([Type.Literal('active'), Type.Literal('archived')]),
  variants: Type.Array(VariantSchema),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const NewProductSchema = Type.Object({
  title: Title,
  description: Type.Optional(Description),
  category: Category,
  attributes: Type.Optional(AttributesSchema),
  variants: Type.Array(
    Type.Object({
      sku: Type.String({ pattern: SKU_PATTERN, description: 'unique across the catalog' }),
      title: Type.Optional(Title),
      price: MoneySchema,
      attributes: Type.Optional(AttributesSchema),
      stock: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'initial stock (default 0)' })),
    }),
    { minItems: 1, maxItems: 100 },
  ),
});

export const ProductPatchSchema = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    category: Type.Optional(Category),
    attributes: Type.Optional(AttributesSchema),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')])),
    variants: Type.Optional(
      Type.Array(
        Type.Object({
          id: Type.String({ minLength: 1 }),
          title: Type.Optional(Title),
          price: Type.Optional(MoneySchema),
          attributes: Type.Optional(AttributesSchema),
        }),
        { maxItems: 100 },
      ),
    ),
  },
  { minProperties: 1 },
);
