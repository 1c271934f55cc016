// Moving a selected shape of the topology graph by keyboard (the keyboard's drag): which arrow
// key moves it how far. Pure, so the renderer and a unit test share it.

/** Screen pixels one arrow press moves a shape; Shift moves further (as the separators do). */
export const SHAPE_STEP_PX = 10;
export const SHAPE_STEP_SHIFT_PX = 50;

/**
 * The offset in graph units for an arrow key at the given zoom, or undefined for any other key.
 * Dividing by the zoom keeps one press the same distance on screen whatever the zoom.
 */
export function shapeMoveOffset(key: string, shift: boolean, zoom: number): { x: number; y: number } | undefined {
  const px = shift ? SHAPE_STEP_SHIFT_PX : SHAPE_STEP_PX;
  const d = px / (zoom > 0 && Number.isFinite(zoom) ? zoom : 1);
  switch (key) {
    case 'ArrowLeft':
      return { x: -d, y: 0 };
    case 'ArrowRight':
      return { x: d, y: 0 };
    case 'ArrowUp':
      return { x: 0, y: -d };
    case 'ArrowDown':
      return { x: 0, y: d };
    default:
      return undefined;
  }
}
