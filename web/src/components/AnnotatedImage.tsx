import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { textOn } from '../draw/colours';
import type { Shape } from '../draw/shapes';

interface Props {
  src: string;
  /** The space the shapes are in (the result's width/height); the image's own size when absent. */
  width?: number;
  height?: number;
  shapes: Shape[];
  alt: string;
  /** What the drawing shows, for screen readers ("5 detections: 4 person, 1 bus"). */
  description: string;
  showLabels?: boolean;
}

const LABEL_PX = 12;
const PADDING_PX = 3;
let measurer: CanvasRenderingContext2D | null | undefined;

/** Width of a label in CSS pixels, measured with the font the overlay draws it in. */
function textWidth(text: string): number {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return text.length * LABEL_PX * 0.6;
  measurer.font = `600 ${LABEL_PX}px system-ui, sans-serif`;
  return measurer.measureText(text).width;
}

interface Label {
  x: number;
  y: number;
  text: string;
  colour: string;
}

/** Where a shape's label goes: above its top-left corner, or inside when that would leave the image. */
function labelOf(shape: Shape): Label | undefined {
  if (!('label' in shape) || !shape.label) return undefined;
  switch (shape.kind) {
    case 'box':
      return { x: shape.box.x1, y: shape.box.y1, text: shape.label, colour: shape.colour };
    case 'polygon': {
      const top = shape.points.reduce((best, p) => (p[1] < best[1] || (p[1] === best[1] && p[0] < best[0]) ? p : best));
      return { x: top[0], y: top[1], text: shape.label, colour: shape.colour };
    }
    case 'point':
      return { x: shape.x + 4, y: shape.y + 4, text: shape.label, colour: shape.colour };
    default:
      return undefined;
  }
}

/**
 * An image with a result drawn over it as SVG. The SVG's viewBox is the result's pixel space and
 * it covers the displayed image exactly, so shapes scale with the image; strokes, dots and labels
 * are sized in screen pixels (divided by the current scale) so they stay readable at any size.
 */
export function AnnotatedImage({ src, width, height, shapes, alt, description, showLabels = true }: Props) {
  const image = useRef<HTMLImageElement>(null);
  const [natural, setNatural] = useState<{ w: number; h: number }>();
  const [shownWidth, setShownWidth] = useState(0);
  // Mask ids are document-wide: keep two drawings on one page from sharing them.
  const maskPrefix = useMemo(() => `mask-${Math.random().toString(36).slice(2, 8)}`, []);

  useEffect(() => {
    const element = image.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setShownWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const w = width ?? natural?.w;
  const h = height ?? natural?.h;
  const scale = w && shownWidth ? shownWidth / w : 0;
  const px = (n: number) => n / scale;

  const labels = showLabels ? shapes.map(labelOf).filter((l): l is Label => l !== undefined) : [];
  return (
    <div class="annotated">
      <img
        ref={image}
        src={src}
        alt={alt}
        onLoad={(event) => {
          const img = event.currentTarget as HTMLImageElement;
          setNatural({ w: img.naturalWidth, h: img.naturalHeight });
          setShownWidth(img.clientWidth);
        }}
      />
      {w && h && scale > 0 ? (
        <svg class="overlay" viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={description}>
          {shapes.map((shape, i) => {
            switch (shape.kind) {
              case 'box': {
                const { x1, y1, x2, y2 } = shape.box;
                return (
                  <rect key={i} data-shape="box" data-label={shape.label} x={x1} y={y1} width={Math.max(0, x2 - x1)} height={Math.max(0, y2 - y1)}
                    fill="none" stroke={shape.colour} stroke-width={shape.emphasis ? 4 : 2} vector-effect="non-scaling-stroke" />
                );
              }
              case 'polygon':
                return (
                  <polygon key={i} data-shape="polygon" points={shape.points.map((p) => p.join(',')).join(' ')} fill={shape.fill ? shape.colour : 'none'}
                    fill-opacity={shape.fill ? 0.2 : undefined} stroke={shape.colour} stroke-width={2} vector-effect="non-scaling-stroke"
                    stroke-dasharray={shape.dashed ? '6 4' : undefined} />
                );
              case 'line':
                return <line key={i} data-shape="line" x1={shape.from[0]} y1={shape.from[1]} x2={shape.to[0]} y2={shape.to[1]} stroke={shape.colour} stroke-width={3} vector-effect="non-scaling-stroke" stroke-linecap="round" />;
              case 'mask': {
                const { x1, y1, x2, y2 } = shape.box;
                const id = `${maskPrefix}-${i}`;
                return (
                  <g key={i} data-shape="mask">
                    <mask id={id} maskUnits="userSpaceOnUse" x={x1} y={y1} width={x2 - x1} height={y2 - y1}>
                      <image href={shape.href} x={x1} y={y1} width={x2 - x1} height={y2 - y1} preserveAspectRatio="none" />
                    </mask>
                    <rect x={x1} y={y1} width={x2 - x1} height={y2 - y1} fill={shape.colour} fill-opacity={0.5} mask={`url(#${id})`} />
                  </g>
                );
              }
              case 'point':
                return <circle key={i} data-shape="point" cx={shape.x} cy={shape.y} r={px(3.5)} fill={shape.colour} stroke="#000" stroke-width={1} vector-effect="non-scaling-stroke" />;
            }
          })}
          {labels.map((label, i) => {
            const textW = px(textWidth(label.text) + 2 * PADDING_PX);
            const textH = px(LABEL_PX + 2 * PADDING_PX);
            const x = Math.max(0, Math.min(label.x, w - textW));
            const y = label.y - textH >= 0 ? label.y - textH : Math.min(label.y, h - textH);
            return (
              <g key={`l${i}`} class="overlay-label">
                <rect x={x} y={y} width={textW} height={textH} fill={label.colour} />
                <text x={x + px(PADDING_PX)} y={y + px(PADDING_PX + LABEL_PX * 0.82)} font-size={px(LABEL_PX)} fill={textOn(label.colour)}>{label.text}</text>
              </g>
            );
          })}
        </svg>
      ) : null}
    </div>
  );
}
