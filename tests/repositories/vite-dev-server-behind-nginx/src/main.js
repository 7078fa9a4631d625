import './style.css'
import viteSvg from './vite.svg'

document.querySelector('#app').innerHTML = `
  <img src="${viteSvg}" alt="Vite Logo" width="60" />
  <h1>Hello Vite!</h1>
  <a href="https://vitejs.dev/guide/features.html" target="_blank">Documentation</a>
`
