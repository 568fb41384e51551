// The 3D viewer (image → 3D): a GLB shown with three.js (vendored in static/vendor/three, MIT).
// Orbit with the mouse or a finger, zoom with the wheel or a pinch; buttons for wireframe, the
// light (studio, from the front, from the side, flat) and the view reset. Every element with
// [data-mesh-viewer] and data-src (a signed URL of the GLB) gets one; the element is marked
// [data-mesh-ready] once the model is drawn, or [data-mesh-error] with the reason shown.
// Loaded as an ES module from static files: the page's CSP allows scripts from 'self' only.
import * as THREE from "../vendor/three/three.module.min.js";
import { OrbitControls } from "../vendor/three/controls/OrbitControls.js";
import { GLTFLoader } from "../vendor/three/loaders/GLTFLoader.js";

const LIGHTS = {
  studio: { key: [2, 3, 4], keyPower: 2.2, fill: 0.9, ambient: 0.35 },
  front: { key: [0, 0.5, 5], keyPower: 2.4, fill: 0.5, ambient: 0.3 },
  side: { key: [5, 1, 0], keyPower: 2.8, fill: 0.25, ambient: 0.15 },
  flat: { key: [0, 1, 1], keyPower: 0.0, fill: 0.0, ambient: 1.6 },
};

function say(root, text) {
  const status = root.querySelector("[data-mesh-status]");
  if (status) status.textContent = text;
}

function viewer(root) {
  const stage = root.querySelector("[data-mesh-stage]");
  const canvas = document.createElement("canvas");
  canvas.setAttribute("data-mesh-canvas", "");
  canvas.setAttribute("aria-label", root.dataset.label || "3D model");
  stage.appendChild(canvas);
  let renderer;
  try {
    renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  } catch (error) {
    root.setAttribute("data-mesh-error", "webgl");
    canvas.remove();
    if (root.dataset.still) {
      const still = document.createElement("img");
      still.src = root.dataset.still;
      still.alt = "The 3D model, drawn from one side";
      stage.appendChild(still);
    }
    say(root, "This browser can't show 3D (WebGL is off or unavailable), so the model is shown as a picture. Download it to turn it in Blender.");
    return;
  }
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  renderer.outputColorSpace = THREE.SRGBColorSpace;
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xeceef4);
  const camera = new THREE.PerspectiveCamera(35, 1, 0.01, 100);
  const controls = new OrbitControls(camera, canvas);
  controls.enableDamping = true;
  const ambient = new THREE.HemisphereLight(0xffffff, 0x8890a0, 0.35);
  const key = new THREE.DirectionalLight(0xffffff, 2.2);
  const fill = new THREE.DirectionalLight(0xdde4ff, 0.9);
  fill.position.set(-3, 1, -2);
  scene.add(ambient, key, fill);
  const grid = new THREE.GridHelper(2, 10, 0xb8bcc8, 0xd6d9e2);
  scene.add(grid);
  let model = null;
  let home = null;

  function light(name) {
    const setting = LIGHTS[name] || LIGHTS.studio;
    key.position.set(...setting.key);
    key.intensity = setting.keyPower;
    fill.intensity = setting.fill;
    ambient.intensity = setting.ambient;
  }

  function resize() {
    const width = stage.clientWidth || 600;
    const height = Math.max(280, Math.round(width * 0.75));
    renderer.setSize(width, height, false);
    canvas.style.width = "100%";
    canvas.style.height = height + "px";
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
  }

  function frame(object) {
    const box = new THREE.Box3().setFromObject(object);
    const size = box.getSize(new THREE.Vector3());
    const centre = box.getCenter(new THREE.Vector3());
    const radius = Math.max(size.x, size.y, size.z) || 1;
    object.position.sub(centre); // centred on the origin, resting on the grid
    object.position.y += size.y / 2;
    grid.scale.setScalar(radius);
    const distance = radius / (2 * Math.tan((camera.fov * Math.PI) / 360)) * 1.6;
    home = new THREE.Vector3(distance * 0.45, size.y / 2 + distance * 0.25, distance);
    camera.position.copy(home);
    controls.target.set(0, size.y / 2, 0);
    camera.near = distance / 100;
    camera.far = distance * 20;
    camera.updateProjectionMatrix();
    controls.update();
  }

  function wireframe(on) {
    if (!model) return;
    model.traverse((child) => {
      if (!child.isMesh) return;
      for (const material of [].concat(child.material)) {
        material.wireframe = on;
        material.needsUpdate = true;
      }
    });
  }

  root.querySelectorAll("[data-mesh-light]").forEach((button) => {
    button.addEventListener("click", () => {
      light(button.dataset.meshLight);
      root.querySelectorAll("[data-mesh-light]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    });
  });
  const wire = root.querySelector("[data-mesh-wireframe]");
  if (wire) {
    wire.addEventListener("click", () => {
      const on = wire.getAttribute("aria-pressed") !== "true";
      wire.setAttribute("aria-pressed", String(on));
      wireframe(on);
    });
  }
  const reset = root.querySelector("[data-mesh-reset]");
  if (reset) {
    reset.addEventListener("click", () => {
      if (!home) return;
      camera.position.copy(home);
      controls.update();
    });
  }

  light("studio");
  resize();
  window.addEventListener("resize", resize);
  say(root, "Loading the model…");
  new GLTFLoader().load(
    root.dataset.src,
    (gltf) => {
      model = gltf.scene;
      model.traverse((child) => {
        if (child.isMesh) {
          for (const material of [].concat(child.material)) material.side = THREE.DoubleSide;
        }
      });
      scene.add(model);
      frame(model);
      say(root, "Drag to turn it, scroll or pinch to zoom, right-drag to move it.");
      root.setAttribute("data-mesh-ready", "");
    },
    undefined,
    () => {
      root.setAttribute("data-mesh-error", "load");
      say(root, "The model couldn't be loaded. Reload the page; if it stays like this, download it and open it in Blender.");
    },
  );
  renderer.setAnimationLoop(() => {
    controls.update();
    renderer.render(scene, camera);
  });
}

function start() {
  document.querySelectorAll("[data-mesh-viewer][data-src]:not([data-mesh-init])").forEach((root) => {
    root.setAttribute("data-mesh-init", "");
    viewer(root);
  });
}

start();
// The job page swaps the finished model in (htmx): start its viewer too.
document.addEventListener("htmx:afterSettle", start);
