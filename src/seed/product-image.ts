/**
 * A product picture drawn from its title and category, so the demo shop has images without shipping any
 * (or fetching any at run time): a tinted card, a category badge and the product's initials.
 */
export function productImageSvg(title: string, category: string): string {
  const hue = hash(category) % 360;
  const accent = (hue + 40 + (hash(title) % 60)) % 360;
  const initials = title
    .split(/\s+/)
    .filter((w) => /^[A-Za-z]/.test(w))
    .slice(-2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  const turn = hash(title) % 90;
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" role="img">',
    `<defs><linearGradient id="g" gradientTransform="rotate(${turn})"><stop offset="0" stop-color="hsl(${hue} 60% 92%)"/>`,
    `<stop offset="1" stop-color="hsl(${accent} 55% 80%)"/></linearGradient></defs>`,
    '<rect width="400" height="400" fill="url(#g)"/>',
    `<circle cx="${130 + (hash(title) % 140)}" cy="170" r="110" fill="hsl(${accent} 50% 70%)" opacity=".45"/>`,
    `<rect x="60" y="240" width="280" height="90" rx="18" fill="hsl(${hue} 45% 35%)" opacity=".9"/>`,
    `<text x="200" y="302" font-family="system-ui,sans-serif" font-size="56" font-weight="700" fill="#fff" text-anchor="middle">${escapeXml(initials)}</text>`,
    `<text x="200" y="120" font-family="system-ui,sans-serif" font-size="28" fill="hsl(${hue} 40% 25%)" text-anchor="middle">${escapeXml(category)}</text>`,
    '</svg>',
  ].join('');
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
