import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Shop } from '../shared/shop.js';
import { App } from './App.js';

const container = document.getElementById('app');
if (!container) throw new Error('#app is missing');
createRoot(container).render(
  <StrictMode>
    <App shop={Shop.fromDocument()} />
  </StrictMode>,
);
