/** A colour per class, stable across results and pages: by class id when the result has one, else by label. */

// Ultralytics' 20-colour palette: distinct hues that stay visible on photos.
const PALETTE = ['#ff3838', '#ff9d97', '#ff701f', '#ffb21d', '#cfd231', '#48f90a', '#92cc17', '#3ddb86', '#1a9334', '#00d4bb',
  '#2c99a8', '#00c2ff', '#344593', '#6473ff', '#0018ec', '#8438ff', '#520085', '#cb38ff', '#ff95c8', '#ff37c7'];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

// COCO-80 in class-id order: a COCO label keeps its colour in results that carry no class id
// (scene analysis, history summaries), so a person is the same colour on every page.
const COCO = ('person,bicycle,car,motorcycle,airplane,bus,train,truck,boat,traffic light,fire hydrant,stop sign,parking meter,bench,'
  + 'bird,cat,dog,horse,sheep,cow,elephant,bear,zebra,giraffe,backpack,umbrella,handbag,tie,suitcase,frisbee,skis,snowboard,'
  + 'sports ball,kite,baseball bat,baseball glove,skateboard,surfboard,tennis racket,bottle,wine glass,cup,fork,knife,spoon,bowl,'
  + 'banana,apple,sandwich,orange,broccoli,carrot,hot dog,pizza,donut,cake,chair,couch,potted plant,bed,dining table,toilet,tv,'
  + 'laptop,mouse,remote,keyboard,cell phone,microwave,oven,toaster,sink,refrigerator,book,clock,vase,scissors,teddy bear,'
  + 'hair drier,toothbrush').split(',');
const COCO_INDEX = new Map(COCO.map((name, i) => [name, i]));

/** The colour of a class: by its COCO index when it has a COCO name, else by class id, else by label. */
export function classColour(label: string, classId?: number): string {
  const index = COCO_INDEX.get(label) ?? (typeof classId === 'number' && classId >= 0 ? classId : hash(label));
  return PALETTE[index % PALETTE.length];
}

/** Black or white, whichever reads better on `background` (#rrggbb). */
export function textOn(background: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(background.slice(i, i + 2), 16) / 255);
  const linear = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  return luminance > 0.4 ? '#000000' : '#ffffff';
}

/** Risk levels of scene analysis, calm to alarming. */
export const RISK_COLOURS: Record<string, string> = {
  none: '#64748b',
  low: '#1a9334',
  medium: '#ffb21d',
  high: '#ff701f',
  critical: '#ff3838',
};
